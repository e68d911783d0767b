/**
 * How a wallet backend failed, shared by every wallet protocol: Unreachable (network, timeout,
 * HTTP 5xx: the status goes offline) or Invalid (an answer that makes no sense: error).
 */
export class RpcUnreachable extends Error {}
export class RpcInvalid extends Error {}
/** The backend refuses access (HTTP 401/403): an API key is missing or wrong. The status goes error. */
export class RpcRefused extends RpcInvalid {}
/** A block the node does not have yet (a load-balanced endpoint a block behind): try next tick. */
export class NotYet extends Error {}
