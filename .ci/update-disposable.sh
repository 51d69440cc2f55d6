#!/usr/bin/env bash
# Refreshes the disposable-domain list that the "Check the email address"
# step embeds (nodes/connectors/emailcheck/disposable_domains.txt) from its
# source, the maintained, CC0-licensed list at
# https://github.com/disposable-email-domains/disposable-email-domains
# It needs internet access (not available in CI or the sandboxes): run it by
# hand, look at the diff, run the emailcheck tests, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=disposable-email-domains/disposable-email-domains
out=nodes/connectors/emailcheck/disposable_domains.txt
commit=$(curl -fsSL "https://api.github.com/repos/$repo/commits/main" | sed -n 's/^  "sha": "\([0-9a-f]\{40\}\)",$/\1/p' | head -n1)
if [ -z "$commit" ]; then
  echo "could not find the latest commit of $repo" >&2
  exit 1
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
curl -fsSL "https://raw.githubusercontent.com/$repo/$commit/disposable_email_blocklist.conf" >"$tmp"
count=$(grep -cv '^\s*\(#\|$\)' "$tmp" || true)
if [ "$count" -lt 1000 ]; then
  echo "the downloaded list has only $count domains; keeping the old one" >&2
  exit 1
fi
{
  echo "# Disposable (throwaway) email domains, one a line."
  echo "# Source: https://github.com/$repo"
  echo "#   file disposable_email_blocklist.conf at commit $commit"
  echo "# Taken: $(date -u +%Y-%m-%d). License: CC0 1.0 (public domain dedication)."
  echo "# Refresh with .ci/update-disposable.sh (it needs internet access); do not edit by hand."
  grep -v '^\s*\(#\|$\)' "$tmp" | tr 'A-Z' 'a-z' | LC_ALL=C sort -u
} >"$out"
echo "wrote $count domains to $out (commit $commit)"
