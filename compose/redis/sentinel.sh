#!/bin/sh
# One Redis Sentinel (docs/07-deploys.md). Compose runs it in the redis image, harness/local.py on the host.
#
# Sentinel writes what it learns into its configuration file (the servers, the other Sentinels, who is primary
# after a failover), so the file is made only when there is none yet, from the environment, and kept from then on:
#   REDIS_SENTINEL_MASTER    the name the shop asks for        REDIS_PRIMARY_HOST, REDIS_PRIMARY_PORT  where it starts
#   REDIS_SENTINEL_PASSWORD  its Redis user's (compose/redis/acl.py, shop-sentinel)
#   SENTINEL_DIR             its own writable directory (/data)  SENTINEL_DOWN_AFTER_MS  how long silent is down
# Further arguments go to redis-server (the port and address, locally).
set -eu
conf="${SENTINEL_DIR:-/data}/sentinel.conf"
master="$REDIS_SENTINEL_MASTER"
if [ ! -s "$conf" ]; then
  cat > "$conf" <<CONF
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor $master $REDIS_PRIMARY_HOST ${REDIS_PRIMARY_PORT:-6379} 2
sentinel auth-user $master shop-sentinel
sentinel auth-pass $master $REDIS_SENTINEL_PASSWORD
sentinel down-after-milliseconds $master ${SENTINEL_DOWN_AFTER_MS:-2000}
sentinel failover-timeout $master 10000
sentinel parallel-syncs $master 1
CONF
  chmod 600 "$conf"
fi
# In the image, through its entrypoint, which runs redis-server as user redis: the file must be theirs.
if command -v docker-entrypoint.sh >/dev/null; then
  chown redis:redis "$conf"
  set -- docker-entrypoint.sh redis-server "$conf" --sentinel --protected-mode no "$@"
else
  set -- redis-server "$conf" --sentinel "$@"
fi
exec "$@"
