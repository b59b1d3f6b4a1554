#!/bin/sh
# Token refresher: mint a short-lived CodeArtifact token as this job's IRSA role and write pip.conf
# (the workbench repository's index URL with that token) into the Secret $SECRET_NAME, key $SECRET_KEY,
# of every team namespace listed in $CONFIG_DIR/namespaces.txt. Sessions mount that Secret as a
# directory, so a refresh reaches running pods (the kubelet resyncs Secret volumes; never a subPath).
#
# The token carries this role's rights (read the workbench repository only) and expires after
# $TOKEN_SECONDS (CodeArtifact allows at most 43200 s, i.e. 12 h, independent of the role session).
# The Secret is written by server-side apply (PATCH, application/apply-patch+yaml), which creates it
# when missing; RBAC grants only get/patch on that one Secret name in each team namespace.
set -euf
umask 077
: "${DOMAIN:?}" "${DOMAIN_OWNER:?}" "${INDEX_URL:?}" "${SECRET_NAME:?}" "${SECRET_KEY:?}" "${TOKEN_SECONDS:?}"
CONFIG_DIR=${CONFIG_DIR:-/etc/pip-token}
WORK_DIR=${WORK_DIR:-/tmp}
API=${KUBERNETES_API:-https://kubernetes.default.svc}
SA_DIR=${SA_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}

case "$INDEX_URL" in
  https://*) ;;
  *) echo "INDEX_URL must be an https URL, got: $INDEX_URL" >&2; exit 2 ;;
esac

token=$(aws codeartifact get-authorization-token --domain "$DOMAIN" --domain-owner "$DOMAIN_OWNER" \
  --duration-seconds "$TOKEN_SECONDS" --query authorizationToken --output text)
[ -n "$token" ] || { echo "CodeArtifact returned an empty token" >&2; exit 1; }

# What pip reads (pip.conf format: https://pip.pypa.io/en/stable/topics/configuration/).
conf="$WORK_DIR/pip.conf"
printf '[global]\nindex-url = https://aws:%s@%s\n' "$token" "${INDEX_URL#https://}" > "$conf"
encoded=$(base64 -w0 < "$conf")

# The token never appears on a command line: the request body and the bearer header are files.
body="$WORK_DIR/secret.json"
header="$WORK_DIR/auth-header"
printf 'Authorization: Bearer %s\n' "$(cat "$SA_DIR/token")" > "$header"
failed=0
while IFS= read -r namespace; do
  [ -n "$namespace" ] || continue
  printf '{"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":"%s","namespace":"%s","labels":{"app.kubernetes.io/managed-by":"workbench-pip-token"}},"data":{"%s":"%s"}}\n' \
    "$SECRET_NAME" "$namespace" "$SECRET_KEY" "$encoded" > "$body"
  if curl --silent --show-error --fail --max-time 30 --cacert "$SA_DIR/ca.crt" -H "@$header" \
    -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary "@$body" -o /dev/null \
    "$API/api/v1/namespaces/$namespace/secrets/$SECRET_NAME?fieldManager=workbench-pip-token&force=true"; then
    echo "refreshed: $namespace/$SECRET_NAME"
  else
    echo "failed: $namespace/$SECRET_NAME" >&2
    failed=1
  fi
done < "$CONFIG_DIR/namespaces.txt"
rm -f "$conf" "$body" "$header"
exit "$failed"
