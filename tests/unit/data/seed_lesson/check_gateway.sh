#!/bin/bash
# Check Internet connectivity via ping
ping -c 1 -W 1 8.8.8.8 > /dev/null 2>&1
if [ $? -eq 0 ]; then
 exit 0 # OK
else
 exit 1 # Failure
fi
