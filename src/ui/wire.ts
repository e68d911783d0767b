/**
 * What the window's server and its page say to each other (JSON): the types both sides compile
 * against. Type-only and free of Node: src/ui/page/tsconfig.json compiles it with the DOM
 * library for the page, the main tsconfig for the server.
 */
import type { AccountJson } from '../client/json.js';
import type {
  AccessState,
  Discovered,
  ProtocolInfo,
  Provider,
  VerifyResult,
  WalletTransaction,
} from '../client/types.js';

/** The CLI's JSON of an account, with times in ms (the page's Date) and no wallet as null. */
export interface AccountView extends Omit<AccountJson, 'statusTime' | 'wallet'> {
  /** The provider's icon (an icon name or an absolute path; the page shows paths through /icons/provider/ID). */
  providerIcon: string;
  /** ms since the epoch, 0 for never. */
  statusTime: number;
  wallet: null | (NonNullable<AccountJson['wallet']> & { lastUpdated: number });
}

/** An OAuth2 sign-in's progress. */
export interface SignInEvent {
  type: 'signin';
  id: string;
  state: 'waiting' | 'done' | 'failed';
  url?: string;
  userCode?: string;
  verificationUrl?: string;
  account?: string;
  summary?: string;
  details?: string;
}

/** The event stream's frames (GET /api/events): the bus's signals as the page needs them. */
export type UiEvent =
  | { type: 'snapshot'; service: boolean; accounts: AccountView[] }
  | { type: 'account'; account: AccountView }
  | { type: 'removed'; id: string }
  | { type: 'service'; up: boolean }
  | { type: 'access'; account: string; app: string; decision: string; requested: boolean }
  | { type: 'host-apps'; mode: 'allow' | 'ask' }
  | { type: 'transfer'; id: string; amount: string; counterparty: string }
  | SignInEvent;

/** GET /api/catalogue */
export interface Catalogue {
  providers: Provider[];
  protocols: ProtocolInfo[];
}

/** GET /api/access: one grant, refusal or pending request; lastUsed in ms, 0 for never. */
/** POST /api/export: the age file, base64, and a name to save it under. POST /api/import answers an ImportResult. */
export interface ExportAnswer {
  file: string;
  accounts: number;
  name: string;
}
export type { ImportResult } from '../client/transfer.js';

export interface AccessView {
  account: string;
  app: string;
  decision: AccessState;
  lastUsed: number;
}

/** GET /api/accounts/ID/transactions: time in ms. */
export type TransactionView = Omit<WalletTransaction, 'time'> & { time: number };

/** GET /api/accounts/ID/removal: what removing the account deletes. */
export interface RemovalPlan {
  id: string;
  name: string;
  file: string;
  secrets: string[];
  grants: string[];
}

/** POST /api/discover */
export type DiscoveryView = Discovered;

/** A check's result for one protocol, worded for people (src/ui/words.ts). */
export interface WordedResult extends VerifyResult {
  protocol: string;
  /** The protocol's name (IMAP, SMTP, ...). */
  title: string;
  /** host:port or URL the check used, when known. */
  server: string;
  /** The step that failed, '' on success. */
  step: string;
  /** One sentence for people. */
  summary: string;
  /** Failure kind for the page: ok, network, rejected or other. */
  outcome: 'ok' | 'network' | 'rejected' | 'other';
}

/** Every refusal's body: a kind, a sentence and details; a failed check adds its results. */
export interface ErrorBody {
  kind?: string;
  summary?: string;
  details?: string;
  /** A failed check: what went wrong overall, each protocol's result, and whether saving anyway is allowed. */
  error?: string;
  results?: WordedResult[];
  canSaveAnyway?: boolean;
  /** CertificateNotTrusted: what each server presents, `host:port` → `sha256:<hex>`, to accept with `certificates`. */
  certificates?: Record<string, string>;
}
