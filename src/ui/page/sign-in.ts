// An OAuth2 sign-in in progress: the link to the provider's page (the server also opens it in
// the browser), a Cancel button, and the end, which the server reports by itself.
import type { SignInEvent } from '../wire.js';
import { h, parts, replace } from './dom.js';
import { _ } from './i18n.js';
import { post } from './api.js';
import { state, subscribe } from './state.js';

/** A live box following sign-in `id`; onDone(accountId) when it succeeded. */
export function followSignIn(id: string, providerName: string, onDone: (account: string) => void): HTMLDivElement {
  const box = h(
    'div',
    { class: 'signin', role: 'status', 'aria-live': 'polite' },
    h('p', {}, _('Starting the sign-in with {provider}…', { provider: providerName })),
  );
  const cancel = h(
    'button',
    { type: 'button', onclick: () => post(`/api/sign-in/${id}/cancel`).catch(() => undefined) },
    _('Cancel sign-in'),
  );
  /** Links to the provider only over http(s), whatever a provider's discovery document says. */
  const web = (url: string | undefined) => (/^https?:\/\//i.test(url ?? '') ? url : undefined);
  const show = (e: SignInEvent) => {
    if (e.state === 'waiting') {
      replace(
        box,
        e.userCode
          ? [
              h(
                'p',
                {},
                parts(
                  _(
                    'On any device (a phone will do), open {address} and enter the code {code} to sign in with {provider}.',
                    { provider: providerName },
                  ),
                  {
                    address: h(
                      'a',
                      { href: web(e.verificationUrl), target: '_blank', rel: 'noopener noreferrer' },
                      h('bdi', {}, e.verificationUrl),
                    ),
                    code: h('strong', { class: 'code' }, h('bdi', {}, e.userCode)),
                  },
                ),
              ),
              h('p', {}, _('This window continues by itself when you are done.')),
            ]
          : [
              h(
                'p',
                {},
                _(
                  'Finish signing in with {provider} in your browser. This window continues by itself when you are done.',
                  { provider: providerName },
                ),
              ),
              h(
                'p',
                {},
                h('a', { href: web(e.url), target: '_blank', rel: 'noopener noreferrer' }, _('Open the sign-in page')),
              ),
            ],
        cancel,
      );
    } else if (e.state === 'done') {
      stop();
      state.signIns.delete(id);
      replace(box, h('p', {}, _('Signed in with {provider}.', { provider: providerName })));
      onDone(e.account ?? '');
    } else {
      stop();
      state.signIns.delete(id);
      replace(
        box,
        h(
          'div',
          { class: 'error', role: 'alert' },
          h('p', {}, e.summary),
          e.details && h('details', {}, h('summary', {}, _('Details')), h('pre', {}, e.details)),
        ),
      );
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
