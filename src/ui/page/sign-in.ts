// An OAuth2 sign-in in progress: the link to the provider's page (the server also opens it in
// the browser), a Cancel button, and the end, which the server reports by itself.
import type { SignInEvent } from '../wire.js';
import { h, replace } from './dom.js';
import { post } from './api.js';
import { state, subscribe } from './state.js';

/** A live box following sign-in `id`; onDone(accountId) when it succeeded. */
export function followSignIn(id: string, providerName: string, onDone: (account: string) => void): HTMLDivElement {
  const box = h('div', { class: 'signin', role: 'status', 'aria-live': 'polite' }, h('p', {}, `Starting the sign-in with ${providerName}…`));
  const cancel = h('button', { type: 'button', onclick: () => post(`/api/sign-in/${id}/cancel`).catch(() => undefined) }, 'Cancel sign-in');
  /** Links to the provider only over http(s), whatever a provider's discovery document says. */
  const web = (url: string | undefined) => (/^https?:\/\//i.test(url ?? '') ? url : undefined);
  const show = (e: SignInEvent) => {
    if (e.state === 'waiting') {
      replace(box,
        e.userCode
          ? [h('p', {}, `On any device (a phone will do), open `, h('a', { href: web(e.verificationUrl), target: '_blank', rel: 'noopener noreferrer' }, e.verificationUrl),
            ' and enter the code ', h('strong', { class: 'code' }, e.userCode), ` to sign in with ${providerName}.`),
          h('p', {}, 'This window continues by itself when you are done.')]
          : [h('p', {}, `Finish signing in with ${providerName} in your browser. This window continues by itself when you are done.`),
            h('p', {}, h('a', { href: web(e.url), target: '_blank', rel: 'noopener noreferrer' }, 'Open the sign-in page'))],
        cancel);
    } else if (e.state === 'done') {
      stop();
      state.signIns.delete(id);
      replace(box, h('p', {}, `Signed in with ${providerName}.`));
      onDone(e.account ?? '');
    } else {
      stop();
      state.signIns.delete(id);
      replace(box, h('div', { class: 'error', role: 'alert' }, h('p', {}, e.summary), e.details && h('details', {}, h('summary', {}, 'Details'), h('pre', {}, e.details))));
    }
  };
  const stop = subscribe((e) => {
    if (e.type === 'signin' && e.id === id) show(e);
  });
  // What came before this box existed.
  const before = state.signIns.get(id);
  if (before) show(before);
  return box;
}
