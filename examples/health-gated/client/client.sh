#!/bin/sh
# Runs once its API is healthy: the first request must already succeed.
trap 'exit 0' TERM INT
if body=$(wget -q -O- http://api/ready) && reply=$(wget -q -O- http://api/); then
  echo "client: api was ready, it says: $reply"
else
  echo "client: api was NOT ready"
fi
while :; do sleep 1 & wait $!; done
