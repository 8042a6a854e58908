#!/bin/sh
# Asks every replica behind the shared alias "pool" (all the addresses the alias resolves to)
# which one it is, then the alias itself once.
for ip in $(nslookup pool 2>/dev/null | awk '/^Name:/ { named = 1 } named && /^Address/ { print $2 }'); do
  wget -q -O- "http://$ip/cgi-bin/whoami"
done
wget -q -O- http://pool/cgi-bin/whoami
