#!/usr/bin/env bash
# mmdebstrap extract hook for the runtime base: turns the unpacked Debian packages (Python and
# the libraries it links, no shell, no package manager) into a root filesystem a container can
# run as uid 65532. Called by build.sh with the rootfs folder as $1.
set -euo pipefail
root=$1
# python3-minimal would bring dpkg along only for this link
ln -sf python3.11 "$root/usr/bin/python3"
# users like distroless's: nonroot (65532) owns its home; there is no login shell to point at
cat > "$root/etc/passwd" <<'USERS'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
USERS
cat > "$root/etc/group" <<'GROUPS'
root:x:0:
nogroup:x:65534:
nonroot:x:65532:
GROUPS
install -d -m 0700 "$root/root"
install -d -m 0755 -o 65532 -g 65532 "$root/home/nonroot"
install -d -m 1777 "$root/tmp" "$root/var/tmp"
# documentation, manuals and translations are dead weight; copyright files stay
find "$root/usr/share/doc" -type f ! -name copyright -delete
rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" \
  "$root/usr/share/lintian"
# packages are extracted, not installed: no postinst has compiled the standard library, and a
# read-only root filesystem would make every start compile it again in memory
chroot "$root" /usr/bin/python3.11 -m compileall -q --invalidation-mode unchecked-hash \
  /usr/lib/python3.11
