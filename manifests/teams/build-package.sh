#!/usr/bin/env bash
# Builds the Teams app package (the zip a Teams admin uploads) from manifest.json and the icons,
# with the bot's Microsoft App ID in place of {{BOT_APP_ID}}.
#
#   manifests/teams/build-package.sh BOT_APP_ID [OUTPUT.zip]     (default: ./pimbot-teams.zip)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_id="${1:-}"
output="${2:-pimbot-teams.zip}"

if [[ ! "$app_id" =~ ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$ ]]; then
    echo "usage: $0 BOT_APP_ID [OUTPUT.zip]  (BOT_APP_ID: the Azure Bot's Microsoft App ID, a GUID)" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s/{{BOT_APP_ID}}/$app_id/g" "$here/manifest.json" > "$work/manifest.json"
cp "$here/color.png" "$here/outline.png" "$work/"
if grep -q '{{' "$work/manifest.json"; then
    echo "manifest.json still has a placeholder" >&2
    exit 1
fi

case "$output" in /*) target="$output" ;; *) target="$PWD/$output" ;; esac
rm -f "$target"
# The three files must sit at the zip's root.
if command -v zip >/dev/null 2>&1; then
    (cd "$work" && zip -q -X "$target" manifest.json color.png outline.png)
else
    (cd "$work" && python3 -m zipfile -c "$target" manifest.json color.png outline.png)
fi
echo "built $target"
