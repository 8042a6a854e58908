#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n%s\n' "$(cat /data/count 2>/dev/null || echo 0)"
