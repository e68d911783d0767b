// Which apps may use which accounts: whether apps that are not sandboxed need to be allowed too
// (HostApps), requests waiting for an answer (allow or deny), and the grants and refusals given,
// each with Revoke. Follows AccessRequested/AccessChanged and HostApps changes live.
import type { AccessView } from '../wire.js';
import { h, parts, replace, errorBox, timeText } from './dom.js';
import { _ } from './i18n.js';
import { get, post } from './api.js';
import { state, type View } from './state.js';

const accountName = (id: string) => state.accounts.get(id)?.name ?? id;

export function accessView(main: HTMLElement): View {
  const pending = h('div', {});
  const given = h('div', {});
  const out = h('div', { class: 'outcome' });
  const decide = (e: AccessView, decision: 'always' | 'deny' | null) =>
    post('/api/access', { account: e.account, app: e.app, decision }).then(load, (err) => replace(out, errorBox(err)));
  const load = () =>
    get<AccessView[]>('/api/access').then(
      (entries) => {
        const asks = entries.filter((e) => e.decision === 'pending');
        const rest = entries.filter((e) => e.decision !== 'pending');
        replace(
          pending,
          asks.length
            ? h(
                'ul',
                { class: 'requests', 'aria-label': _('Requests') },
                asks.map((e) => {
                  const names = { app: e.app, account: accountName(e.account) };
                  return h(
                    'li',
                    {},
                    h(
                      'span',
                      {},
                      parts(_('{app} asks to use {account}'), {
                        app: h('strong', {}, e.app),
                        account: h('strong', {}, names.account),
                      }),
                    ),
                    ' ',
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'primary',
                        'aria-label': _('Allow {app} to use {account}', names),
                        onclick: () => decide(e, 'always'),
                      },
                      _('Allow'),
                    ),
                    ' ',
                    h(
                      'button',
                      {
                        type: 'button',
                        'aria-label': _('Deny {app} the use of {account}', names),
                        onclick: () => decide(e, 'deny'),
                      },
                      _('Deny'),
                    ),
                  );
                }),
              )
            : h('p', {}, _('No app is waiting for an answer.')),
        );
        replace(
          given,
          rest.length
            ? h(
                'table',
                { class: 'grants' },
                h('caption', {}, _('Apps allowed or refused')),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    [_('App'), _('Account'), _('Decision'), _('Last used'), ''].map((t) =>
                      h('th', { scope: 'col' }, t),
                    ),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  rest.map((e) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, e.app),
                      h('td', {}, accountName(e.account)),
                      h('td', {}, e.decision === 'always' ? _('Allowed') : _('Refused')),
                      h('td', {}, timeText(e.lastUsed) || _('never')),
                      h(
                        'td',
                        {},
                        h(
                          'button',
                          {
                            type: 'button',
                            'aria-label': _('Revoke the decision for {app} on {account}', {
                              app: e.app,
                              account: accountName(e.account),
                            }),
                            onclick: () => decide(e, null),
                          },
                          _('Revoke'),
                        ),
                      ),
                    ),
                  ),
                ),
              )
            : h('p', {}, _('No app has been allowed or refused yet.')),
        );
      },
      (err) => replace(out, errorBox(err)),
    );
  // Disabled until the service said what it is; only the latest answer counts.
  const hostBox = h('input', {
    type: 'checkbox',
    id: 'host-apps',
    disabled: true,
    'aria-describedby': 'host-apps-help',
    onchange: () => {
      hostBox.disabled = true;
      post('/api/host-apps', { mode: hostBox.checked ? 'ask' : 'allow' }).then(loadHost, (err) => {
        replace(out, errorBox(err));
        void loadHost();
      });
    },
  });
  let asked = 0;
  const loadHost = () => {
    const ask = ++asked;
    return get<{ mode: 'allow' | 'ask' }>('/api/host-apps').then(
      ({ mode }) => {
        if (ask !== asked) return;
        hostBox.checked = mode === 'ask';
        hostBox.disabled = false;
      },
      (err) => replace(out, errorBox(err)),
    );
  };
  main.append(
    h('h2', {}, _('App access')),
    h('p', { class: 'help' }, _('Sandboxed apps (Flatpak, Snap) must be allowed before they can use an account.')),
    h('div', { class: 'check' }, hostBox, h('label', { for: 'host-apps' }, _('Other apps must be allowed too'))),
    h(
      'p',
      { class: 'help', id: 'host-apps-help' },
      _(
        'Apps installed on the system use every account unless this is on; then each must be allowed here first, like sandboxed apps.',
      ),
    ),
    h('h3', {}, _('Waiting for an answer')),
    pending,
    h('h3', {}, _('Decisions')),
    given,
    out,
  );
  void load();
  void loadHost();
  return {
    update: (e) => {
      if (e.type === 'access' || e.type === 'snapshot') void load();
      if (e.type === 'host-apps' || e.type === 'snapshot') void loadHost();
    },
  };
}
