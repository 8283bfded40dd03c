/**
 * Lua scripts run atomically inside Redis: a request is recorded whole or not at all, and a status
 * write only lands on the revision it was computed from.
 */

/**
 * KEYS: batch, idx (singles or batches), unfinished, dispatchOutbox, then per job: job, payload.
 * ARGV: batchDoc, createdMs, indexMember, then per job: name, doc, spec, payload ('' = none), hasPayload ('1'/'0').
 * Returns 0 when the batch name is taken (nothing written), 1 when written.
 */
export const CREATE_BATCH = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local jobCount = (#KEYS - 4) / 2
for i = 1, jobCount do
  if redis.call('EXISTS', KEYS[4 + (i - 1) * 2 + 1]) == 1 then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3]) end
for i = 1, jobCount do
  local jobKey = KEYS[4 + (i - 1) * 2 + 1]
  local payloadKey = KEYS[4 + (i - 1) * 2 + 2]
  local a = 3 + (i - 1) * 5
  redis.call('HSET', jobKey, 'doc', ARGV[a + 2], 'spec', ARGV[a + 3], 'rev', 1)
  if ARGV[a + 5] == '1' then redis.call('SET', payloadKey, ARGV[a + 4]) end
  redis.call('SADD', KEYS[3], ARGV[a + 1])
  redis.call('SADD', KEYS[4], ARGV[a + 1])
end
return 1
`;

/**
 * Compare-and-set of one job record.
 * KEYS: job, unfinished. ARGV: expectedRev, newDoc, name, final ('1'/'0').
 * Returns -1 when the record is gone, 0 on a revision mismatch, 1 when written.
 */
export const COMPARE_AND_SET = `
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'rev', tonumber(rev) + 1)
if ARGV[4] == '1' then redis.call('SREM', KEYS[2], ARGV[3]) else redis.call('SADD', KEYS[2], ARGV[3]) end
return 1
`;
