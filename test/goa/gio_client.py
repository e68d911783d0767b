#!/usr/bin/python3
"""The file manager's view of network places (GIO with gvfs, as Nautilus and the LXQt file
manager's GIO backend see them) for the GOA view's tests: one command per run, one JSON answer.

  volumes          the volumes of gvfs's GOA volume monitor: name, uuid, activation root
  mount NAME       mounts that volume as a file manager does (the password comes from the GOA
                   service through PasswordBased.GetPassword) and lists the files of its root
"""
import json
import sys

import gi

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402


def out(value):
    print(json.dumps(value), flush=True)


def goa_volumes():
    monitor = Gio.VolumeMonitor.get()
    return [v for v in monitor.get_volumes() if type(v).__name__ == 'GProxyVolume'
            and v.get_identifier('class') == 'network']


def describe(v):
    root = v.get_activation_root()
    return {'name': v.get_name(), 'uuid': v.get_uuid(), 'activation_root': root.get_uri() if root else None}


def mount(name):
    loop = GLib.MainLoop()
    result = {}
    volume = next((v for v in goa_volumes() if v.get_name() == name), None)
    if volume is None:
        return {'error': 'no such volume', 'volumes': [describe(v) for v in goa_volumes()]}

    def mounted(vol, res):
        try:
            vol.mount_finish(res)
            root = vol.get_mount().get_root()
            names = sorted(i.get_name() for i in root.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NONE, None))
            result.update({'mounted': True, 'root': root.get_uri(), 'files': names})
        except GLib.Error as err:
            result.update({'mounted': False, 'error': err.message, 'code': err.code})
        loop.quit()

    # No interactive operation: a volume that asked the person for a password would fail here.
    volume.mount(Gio.MountMountFlags.NONE, None, None, mounted)
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    mnt = volume.get_mount()
    if mnt is not None:
        done = GLib.MainLoop()
        mnt.unmount_with_operation(Gio.MountUnmountFlags.FORCE, None, None, lambda m, r: (m.unmount_with_operation_finish(r), done.quit()))
        GLib.timeout_add_seconds(10, done.quit)
        done.run()
    return result


def main():
    cmd = sys.argv[1]
    if cmd == 'volumes':
        out([describe(v) for v in goa_volumes()])
    elif cmd == 'mount':
        out(mount(sys.argv[2]))
    else:
        sys.exit(f'unknown command {cmd}')


if __name__ == '__main__':
    main()
