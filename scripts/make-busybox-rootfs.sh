#!/usr/bin/env bash
# Makes the base image's root filesystem from the host's busybox-static: every applet linked,
# the files a real image has (/etc/passwd, /etc/group, /tmp 1777, /root, /home, /var ...), as a
# reproducible tar (same bytes on every run, so the image ID is stable).
#   scripts/make-busybox-rootfs.sh OUT.tar
set -euo pipefail
out=${1:?usage: make-busybox-rootfs.sh OUT.tar}
bb=/bin/busybox
[ -x "$bb" ] || bb=/usr/bin/busybox
work=$(mktemp -d /tmp/minke-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
r=$work/rootfs
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,etc/network,root,home,var/spool/mail,var/www,tmp,lib}
cp "$bb" "$r/bin/busybox"
chroot "$r" /bin/busybox --install -s
chmod 1777 "$r/tmp"
chmod 700 "$r/root"
cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
cat >"$r/etc/group" <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:8:
www-data:x:33:
operator:x:37:
staff:x:50:
users:x:100:
nogroup:x:65533:
nobody:x:65534:
G
cat >"$r/etc/shadow" <<'S'
root:*:10933:0:99999:7:::
daemon:*:10933:0:99999:7:::
bin:*:10933:0:99999:7:::
sys:*:10933:0:99999:7:::
sync:*:10933:0:99999:7:::
mail:*:10933:0:99999:7:::
www-data:*:10933:0:99999:7:::
operator:*:10933:0:99999:7:::
nobody:*:10933:0:99999:7:::
S
chmod 640 "$r/etc/shadow"
echo "busybox" >"$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
: >"$r/etc/resolv.conf"
printf 'hosts: files dns\nnetworks: files\n' >"$r/etc/nsswitch.conf"
ln -s /proc/mounts "$r/etc/mtab"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$r" -cf "$out.tmp" .
mv "$out.tmp" "$out"
