#!/bin/sh
# Promote PyPI package versions from the upstream repository to the workbench
# repository: only allowlisted names, only versions older than the cooldown.
# curation_mode=report promotes everything and logs what block mode would hold.
set -euf  # no globbing: package names and versions are split on whitespace, never expanded
ca() { aws codeartifact "$@" --domain "$DOMAIN" --domain-owner "$DOMAIN_OWNER"; }
now=$(date -u +%s)
min_age=$((COOLDOWN_DAYS * 86400))
for package in $(ca list-packages --repository "$UPSTREAM_REPOSITORY" --format pypi --query 'packages[].package' --output text); do
  [ "$package" = None ] && continue
  if grep -qxF "$package" /etc/curator/allowlist.txt; then listed=yes; else listed=no; fi
  eligible=""
  for version in $(ca list-package-versions --repository "$UPSTREAM_REPOSITORY" --format pypi --package "$package" --status Published --query 'versions[].version' --output text); do
    [ "$version" = None ] && continue
    published=$(ca describe-package-version --repository "$UPSTREAM_REPOSITORY" --format pypi --package "$package" --package-version "$version" --query 'packageVersion.publishedTime' --output text)
    age=$((now - $(date -u -d "$published" +%s)))
    verdict=""
    if [ "$listed" = no ]; then verdict="not on the allowlist"
    elif [ "$age" -lt "$min_age" ]; then verdict="published less than $COOLDOWN_DAYS days ago"
    fi
    if [ -n "$verdict" ]; then
      if [ "$CURATION_MODE" = block ]; then echo "held: $package $version ($verdict)"; continue; fi
      echo "report: $package $version would be held ($verdict)"
    fi
    eligible="$eligible $version"
  done
  if [ -n "$eligible" ]; then
    # Versions already in the workbench repository come back as failedVersions (ALREADY_EXISTS).
    # shellcheck disable=SC2086  # one argument per version on purpose (set -f: no globbing)
    ca copy-package-versions --source-repository "$UPSTREAM_REPOSITORY" --destination-repository "$WORKBENCH_REPOSITORY" \
      --format pypi --package "$package" --versions $eligible --query 'keys(successfulVersions)' --output text \
      | tr '\t' '\n' | grep -v '^None$' | sed "s/^/promoted: $package /" || true
  fi
done
