#!/bin/sh
# The count as the database has it, fetched by service name.
count=$(wget -q -O- http://db:5000/cgi-bin/get) || count=unavailable
printf 'Content-Type: text/plain\r\n\r\ncount=%s\n' "$count"
