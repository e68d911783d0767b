#!/usr/bin/python3
"""libgoa's own client (Debian gir1.2-goa-1.0) for the GOA view's tests: one command per run,
one JSON answer on stdout. `watch` prints one JSON line per account-added/-removed signal."""
import json
import sys

import gi

gi.require_version('Goa', '1.0')
from gi.repository import Gio, GLib, Goa  # noqa: E402


def out(value):
    print(json.dumps(value), flush=True)


def error_of(err):
    return {'error': Gio.DBusError.get_remote_error(err) or '', 'message': err.message}


def describe(obj):
    acc = obj.get_account()
    d = {
        'id': acc.props.id, 'provider_type': acc.props.provider_type, 'provider_name': acc.props.provider_name,
        'identity': acc.props.identity, 'presentation_identity': acc.props.presentation_identity,
        'attention_needed': acc.props.attention_needed, 'password_based': obj.get_password_based() is not None,
        'oauth2_based': obj.get_oauth2_based() is not None,
    }
    mail = obj.get_mail()
    if mail is not None:
        d['mail'] = {k: mail.get_property(k) for k in (
            'email-address', 'name', 'imap-supported', 'imap-host', 'imap-use-ssl', 'imap-use-tls', 'imap-user-name',
            'smtp-supported', 'smtp-host', 'smtp-use-ssl', 'smtp-use-tls', 'smtp-user-name', 'smtp-use-auth',
            'smtp-auth-plain', 'smtp-auth-xoauth2')}
    for name, getter in (('calendar', obj.get_calendar), ('contacts', obj.get_contacts), ('files', obj.get_files)):
        x = getter()
        if x is not None:
            d[name] = {'uri': x.props.uri, 'accept_ssl_errors': x.props.accept_ssl_errors}
    return d


def find(client, account_id):
    for obj in client.get_accounts():
        if obj.get_account().props.id == account_id:
            return obj
    raise SystemExit(f'no account {account_id}')


def main():
    cmd = sys.argv[1]
    client = Goa.Client.new_sync(None)
    if cmd == 'list':
        out(sorted((describe(o) for o in client.get_accounts()), key=lambda d: d['id']))
    elif cmd in ('password', 'token', 'ensure'):
        obj = find(client, sys.argv[2])
        try:
            if cmd == 'password':
                out({'value': obj.get_password_based().call_get_password_sync(sys.argv[3], None)})
            elif cmd == 'token':
                token, expires = obj.get_oauth2_based().call_get_access_token_sync(None)
                out({'value': token, 'expires_in': expires})
            else:
                out({'value': obj.get_account().call_ensure_credentials_sync(None)})
        except GLib.Error as err:
            out(error_of(err))
    elif cmd == 'watch':
        loop = GLib.MainLoop()
        client.connect('account-added', lambda _c, o: out({'added': o.get_account().props.id}))
        client.connect('account-removed', lambda _c, o: out({'removed': o.get_account().props.id}))
        client.connect('account-changed', lambda _c, o: out({'changed': o.get_account().props.id}))
        out({'ready': sorted(o.get_account().props.id for o in client.get_accounts())})
        loop.run()
    else:
        raise SystemExit(f'unknown command {cmd}')


main()
