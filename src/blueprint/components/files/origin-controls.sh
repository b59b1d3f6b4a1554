#!/bin/sh
# Package origin controls through CodeArtifact package groups (domain-wide, and
# effective for names no repository holds yet):
# - internal name prefixes: publishing allowed, never ingested from public PyPI;
# - blocklisted names: never ingested, never published (curation_mode=block),
#   or only reported where a repository already holds versions (report).
set -eu
ca() { aws codeartifact "$@" --domain "$DOMAIN" --domain-owner "$DOMAIN_OWNER"; }
ensure_group() {
  ca describe-package-group --package-group "$1" >/dev/null 2>&1 \
    || ca create-package-group --package-group "$1" --description "$3" >/dev/null
  ca update-package-group-origin-configuration --package-group "$1" --restrictions "$2" >/dev/null
  echo "origin controls: $1 $2"
}
while IFS= read -r prefix; do
  [ -n "$prefix" ] || continue
  ensure_group "/pypi//$prefix~" '{"EXTERNAL_UPSTREAM":"BLOCK","INTERNAL_UPSTREAM":"ALLOW","PUBLISH":"ALLOW"}' "internal names: never from public PyPI"
done < /etc/curator/internal-prefixes.txt
while IFS= read -r package; do
  [ -n "$package" ] || continue
  if [ "$CURATION_MODE" = block ]; then
    ensure_group "/pypi//$package\$" '{"EXTERNAL_UPSTREAM":"BLOCK","INTERNAL_UPSTREAM":"BLOCK","PUBLISH":"BLOCK"}' "blocklisted"
  else
    for repository in "$UPSTREAM_REPOSITORY" "$WORKBENCH_REPOSITORY"; do
      versions=$(ca list-package-versions --repository "$repository" --format pypi --package "$package" --query 'versions[].version' --output text 2>/dev/null || true)
      if [ -n "$versions" ] && [ "$versions" != None ]; then echo "report: blocklisted $package has versions in $repository: $versions"; fi
    done
  fi
done < /etc/curator/blocklist.txt
