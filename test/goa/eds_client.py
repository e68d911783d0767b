#!/usr/bin/python3
"""evolution-data-server's own client library (Debian gir1.2-edataserver-1.2) for the GOA view's
tests: the registry's sources as JSON, and credentials looked up the way Evolution does it
(ESourceCredentialsProvider, whose GOA module asks org.gnome.OnlineAccounts for the password)."""
import json
import sys

import gi

gi.require_version('EDataServer', '1.2')
from gi.repository import EDataServer, GLib  # noqa: E402


def out(value):
    print(json.dumps(value), flush=True)


def describe(src):
    d = {'uid': src.get_uid(), 'parent': src.get_parent() or '', 'name': src.get_display_name(), 'extensions': []}
    for ext, key in ((EDataServer.SOURCE_EXTENSION_COLLECTION, 'collection'), (EDataServer.SOURCE_EXTENSION_GOA, 'goa'),
                     (EDataServer.SOURCE_EXTENSION_MAIL_ACCOUNT, 'mail_account'), (EDataServer.SOURCE_EXTENSION_MAIL_IDENTITY, 'mail_identity'),
                     (EDataServer.SOURCE_EXTENSION_MAIL_TRANSPORT, 'mail_transport')):
        if src.has_extension(ext):
            d['extensions'].append(key)
    if src.has_extension(EDataServer.SOURCE_EXTENSION_GOA):
        goa = src.get_extension(EDataServer.SOURCE_EXTENSION_GOA)
        d['goa'] = {'account_id': goa.get_account_id(), 'calendar_url': goa.get_calendar_url(), 'contacts_url': goa.get_contacts_url()}
    if src.has_extension(EDataServer.SOURCE_EXTENSION_COLLECTION):
        d['collection'] = {'backend': src.get_extension(EDataServer.SOURCE_EXTENSION_COLLECTION).get_backend_name()}
    if src.has_extension(EDataServer.SOURCE_EXTENSION_MAIL_IDENTITY):
        ident = src.get_extension(EDataServer.SOURCE_EXTENSION_MAIL_IDENTITY)
        d['identity'] = {'name': ident.get_name(), 'address': ident.get_address()}
    if src.has_extension(EDataServer.SOURCE_EXTENSION_MAIL_ACCOUNT):
        d['mail_backend'] = src.get_extension(EDataServer.SOURCE_EXTENSION_MAIL_ACCOUNT).get_backend_name()
    if src.has_extension(EDataServer.SOURCE_EXTENSION_MAIL_TRANSPORT):
        d['transport_backend'] = src.get_extension(EDataServer.SOURCE_EXTENSION_MAIL_TRANSPORT).get_backend_name()
    return d


def main():
    cmd = sys.argv[1]
    registry = EDataServer.SourceRegistry.new_sync(None)
    if cmd == 'list':
        out(sorted((describe(s) for s in registry.list_sources(None)), key=lambda d: d['uid']))
    elif cmd == 'credentials':
        src = registry.ref_source(sys.argv[2])
        provider = EDataServer.SourceCredentialsProvider.new(registry)
        try:
            ok, creds = provider.lookup_sync(src, None)
            out({'password': creds.get(EDataServer.SOURCE_CREDENTIAL_PASSWORD) if creds else None})
        except GLib.Error as err:
            out({'error': err.message})
    else:
        raise SystemExit(f'unknown command {cmd}')


main()
