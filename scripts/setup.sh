#!/usr/bin/env bash
# Everything a fresh machine needs before the demo or the tests, idempotent:
#   - ZooKeeper 3.8 and Dovecot from Debian packages (installed, never started
#     as system services: the project runs private instances on 127.0.0.1),
#   - Debian's Chromium, which the status page's browser test drives headless
#     through playwright-core (no browser is ever downloaded),
#   - the compiled CLI (dist/), and the generated fixture mailboxes.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
# The dovecot binary can outlive its imap service (dovecot-imapd removed):
# check the service program itself.
{ command -v dovecot >/dev/null 2>&1 && [ -x /usr/lib/dovecot/imap ]; } || need+=(dovecot-imapd)
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${need[*]}; run as root or install them" >&2
    exit 2
  fi
  echo "setup: installing ${need[*]} from Debian packages"
  # A policy-rc.d that says 101 stops the packages' init scripts from starting
  # system-wide daemons (dovecot would listen on every interface otherwise).
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

npx tsc -p tsconfig.json

# Generated fixtures (not committed): the SpamAssassin TEST split as a mailbox,
# and the large messages of the malformed-mail corpus.
node dist/scripts/build-corpus-fixture.js --if-missing
node dist/scripts/build-malformed-corpus.js --if-missing
