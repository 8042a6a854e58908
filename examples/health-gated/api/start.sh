#!/bin/sh
# Serves /www at once, but reports ready (the health check's file) only after a warm-up.
echo "api: warming up"
echo "hello from api" > /www/index.html
(sleep "${WARMUP:-2}"; touch /www/ready; echo "api: ready") &
exec httpd -f -p 80 -h /www
