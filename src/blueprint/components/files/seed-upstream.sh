#!/bin/sh
# Day-1 request step of curated mode: ask the upstream repository (which holds the public:pypi external
# connection) for the newest $SEED_VERSIONS final releases of every allowlisted package, so CodeArtifact
# ingests them; promote.sh then copies those that pass the cooldown into the workbench repository.
# Fetching one file of a version through a repository with an external connection is what makes
# CodeArtifact ingest that version (https://docs.aws.amazon.com/codeartifact/latest/ug/external-connection.html).
# Blocklisted names are refused by their package group (origin controls), so they are never fetched.
set -euf
umask 077
: "${DOMAIN:?}" "${DOMAIN_OWNER:?}" "${UPSTREAM_INDEX_URL:?}" "${SEED_VERSIONS:?}"
CONFIG_DIR=${CONFIG_DIR:-/etc/curator}
WORK_DIR=${WORK_DIR:-/tmp}

token=$(aws codeartifact get-authorization-token --domain "$DOMAIN" --domain-owner "$DOMAIN_OWNER" \
  --duration-seconds 900 --query authorizationToken --output text)
netrc="$WORK_DIR/netrc"
host=${UPSTREAM_INDEX_URL#https://}
host=${host%%/*}
printf 'machine %s login aws password %s\n' "$host" "$token" > "$netrc"

while IFS= read -r package; do
  [ -n "$package" ] || continue
  if grep -qxF "$package" "$CONFIG_DIR/blocklist.txt"; then echo "skipped: $package (blocklisted)"; continue; fi
  page="$WORK_DIR/page.html"
  if ! curl --silent --show-error --fail --max-time 120 --netrc-file "$netrc" -o "$page" "$UPSTREAM_INDEX_URL$package/"; then
    echo "not found upstream: $package" >&2
    continue
  fi
  # Links are "<file>#sha256=..." relative to the page; a wheel is name-version-tags.whl, an sdist name-version.tar.gz.
  links="$WORK_DIR/links.txt"
  grep -o 'href="[^"]*"' "$page" | sed 's/^href="//; s/"$//' > "$links" || true
  versions=$(sed 's/#.*//; s|.*/||' "$links" \
    | sed -n 's/^[^-]*-\([0-9][0-9.]*\)-.*\.whl$/\1/p; s/^.*-\([0-9][0-9.]*\)\.tar\.gz$/\1/p' \
    | grep -E '^[0-9]+(\.[0-9]+)*$' | sort -uV | tail -n "$SEED_VERSIONS")
  for version in $versions; do
    link=$(grep -E "[-]$(printf '%s' "$version" | sed 's/\./\\./g')([-].*\.whl|\.tar\.gz)(#|$)" "$links" | head -n 1)
    [ -n "$link" ] || continue
    case "$link" in
      https://*) url=${link%%#*} ;;
      *) url="$UPSTREAM_INDEX_URL$package/${link%%#*}" ;;
    esac
    if curl --silent --show-error --fail --location --max-time 600 --netrc-file "$netrc" -o /dev/null "$url"; then
      echo "requested: $package $version"
    else
      echo "request failed: $package $version" >&2
    fi
  done
done < "$CONFIG_DIR/allowlist.txt"
rm -f "$netrc" "$WORK_DIR/page.html" "$WORK_DIR/links.txt"
