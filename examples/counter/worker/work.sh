#!/bin/sh
# Increments the database's counter every INTERVAL seconds.
trap 'exit 0' TERM INT
while :; do
  if n=$(wget -q -O- "$DB_URL/cgi-bin/incr"); then echo "worker: count is now $n"; else echo "worker: database not reachable"; fi
  sleep "${INTERVAL:-1}" &
  wait $!
done
