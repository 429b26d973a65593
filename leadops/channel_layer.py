"""The channel layer: channels-redis's, with one more method for our pushes.

A push goes to several groups at once (the owner's, the team's, a previous owner's).
channels-redis's `group_send` costs four Redis round trips per group (trim the group, read
it, trim each channel, then an EVAL that carries the whole script); `group_send_many` sends
one message to every member of several groups in two round trips, each channel once even
when it is in more than one of the groups (a manager who owns the lead hears it once).

It writes exactly what `group_send` writes - the same keys, the same serialized message,
the same capacity check, in one Lua script per Redis host - so the consumers and
channels-redis's own `receive` read it unchanged. It leans on channels-redis 4.3's helpers
(`_group_key`, `_map_channel_keys_to_connection`); requirements.txt pins that version and
notifications/tests/test_push.py checks the delivery end to end."""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from channels_redis.core import RedisChannelLayer

log = logging.getLogger(__name__)

# As channels-redis's group_send script: add the message to each channel's sorted set
# unless the channel is at capacity; returns how many channels were.
_SEND_TO_CHANNELS = """
local over_capacity = 0
local current_time = ARGV[#ARGV - 1]
local expiry = ARGV[#ARGV]
for i = 1, #KEYS do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


class LeadOpsChannelLayer(RedisChannelLayer):
    async def group_send_many(self, groups: list[str], message: dict) -> None:
        """Send `message` to every channel of every group in `groups`, each channel once."""
        by_host: dict[int, list[str]] = defaultdict(list)
        for group in groups:
            assert self.require_valid_group_name(group), "Group name not valid"
            by_host[self.consistent_hash(group)].append(group)
        members: list[str] = []
        stale_groups = int(time.time()) - self.group_expiry
        for index, host_groups in by_host.items():
            pipe = self.connection(index).pipeline(transaction=False)
            for group in host_groups:
                pipe.zremrangebyscore(self._group_key(group), min=0, max=stale_groups)
                pipe.zrange(self._group_key(group), 0, -1)
            replies = await pipe.execute()
            members += [name.decode("utf8") for reply in replies[1::2] for name in reply]
        if not members:
            return
        channels = list(dict.fromkeys(members))
        keys_by_host, message_by_key, capacity_by_key = self._map_channel_keys_to_connection(channels, message)
        now = time.time()
        for index, keys in keys_by_host.items():
            pipe = self.connection(index).pipeline(transaction=False)
            for key in keys:
                pipe.zremrangebyscore(key, min=0, max=int(now) - int(self.expiry))
            arguments = [message_by_key[key] for key in keys] + [capacity_by_key[key] for key in keys]
            pipe.eval(_SEND_TO_CHANNELS, len(keys), *keys, *arguments, now, self.expiry)
            over_capacity = (await pipe.execute())[-1]
            if over_capacity:
                log.info("%s of %s channels over capacity in groups %s", over_capacity, len(channels), groups)
