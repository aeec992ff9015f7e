#!/usr/bin/env bash
# Unpacks PostgreSQL MAJOR from a newer Debian suite into PREFIX without installing anything system-wide,
# wrapping each server binary so that it runs under that suite's own loader and libraries.
# Why and how: docs/postgres-versions.md. Cached: a second run with the binaries present does nothing.
# Usage: provision-postgres.sh MAJOR PREFIX    (prints the bin folder on stdout)
set -euo pipefail
major=$1; prefix=$2
bindir=$prefix/root/usr/lib/postgresql/$major/bin
if [ -x "$bindir/postgres" ] && "$bindir/postgres" -V >/dev/null 2>&1; then echo "$bindir"; exit 0; fi

case $major in
  17) suite=trixie; libs="libicu76 libxml2" ;;
  18) suite=sid;    libs="libicu78 libxml2-16 libnuma1 liburing2" ;;
  *) echo "provision-postgres: no recipe for PostgreSQL $major" >&2; exit 2 ;;
esac

rm -rf "$prefix"
mkdir -p "$prefix"/{etc,lists/partial,cache/archives/partial,debs,root}; touch "$prefix/etc/status"
# The mirror comes from the machine's own apt configuration; no registry host is written here.
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" > "$prefix/etc/sources.list"
O=(-o Dir::Etc::SourceList="$prefix/etc/sources.list" -o Dir::Etc::SourceParts="$prefix/etc/none"
   -o Dir::State::Lists="$prefix/lists" -o Dir::Cache="$prefix/cache" -o Dir::State::Status="$prefix/etc/status")
apt-get "${O[@]}" update -qq >&2
(cd "$prefix/debs" && apt-get "${O[@]}" download -qq postgresql-$major libpq5 libc6 libssl3t64 libldap2 \
   libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1 libsasl2-2 liblz4-1 libzstd1 \
   zlib1g liblzma5 libsystemd0 libcap2 libgcc-s1 libstdc++6 libselinux1 libpcre2-8-0 libaudit1 libcap-ng0 \
   libpam0g libuuid1 $libs >&2)
for d in "$prefix"/debs/*.deb; do dpkg -x "$d" "$prefix/root"; done
L=$prefix/root/usr/lib/x86_64-linux-gnu
for b in "$bindir"/*; do
  file "$b" | grep -q ELF || continue
  mv "$b" "$b.real"
  printf '#!/bin/sh\nexec %s --library-path %s %s "$@"\n' "$L/ld-linux-x86-64.so.2" "$L" "$b.real" > "$b"; chmod 755 "$b"
done
chmod -R a+rX "$prefix"
"$bindir/postgres" -V >&2
echo "$bindir"
