#!/bin/sh
# One increment, written atomically (a new file renamed over the old one).
n=$(cat /data/count 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > /data/count.new && mv /data/count.new /data/count
printf 'Content-Type: text/plain\r\n\r\n%s\n' "$n"
