/**
 * Lua scripts run atomically inside Redis: a request is recorded whole or not at all, a status
 * write only lands on the revision it was computed from, and the status counts move in the same
 * step as the records they count.
 */

/**
 * Adds `delta` to one status count; a count that reaches 0 leaves the hash, so an empty store
 * holds no keys. Shared by the scripts below.
 */
const ADD_TO_STATUS_COUNT = `
local function addToStatusCount(countsKey, status, delta)
  if redis.call('HINCRBY', countsKey, status, delta) <= 0 then redis.call('HDEL', countsKey, status) end
end
`;

/**
 * KEYS: batch, idx (singles or batches), unfinished, dispatchOutbox, statusCounts, then per job: job, payload.
 * ARGV: batchDoc, createdMs, indexMember, then per job: name, doc, spec, payload ('' = none), hasPayload ('1'/'0'), status.
 * Returns 0 when the batch name is taken (nothing written), 1 when written.
 * The index sets get the names 1,000 per SADD and the counts one HINCRBY per status: a batch of
 * 10,000 jobs makes 20 SADDs and 1 HINCRBY instead of 20,000 and 10,000 (unpack stays well
 * below Lua's limit of about 8,000 values).
 */
export const CREATE_BATCH = `${ADD_TO_STATUS_COUNT}
local FIXED_KEYS, KEYS_PER_JOB, FIXED_ARGS, ARGS_PER_JOB, CHUNK = 5, 2, 3, 6, 1000
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local jobCount = (#KEYS - FIXED_KEYS) / KEYS_PER_JOB
for i = 1, jobCount do
  if redis.call('EXISTS', KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 1]) == 1 then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3]) end
local names, counts = {}, {}
local function addNames()
  redis.call('SADD', KEYS[3], unpack(names))
  redis.call('SADD', KEYS[4], unpack(names))
  names = {}
end
for i = 1, jobCount do
  local jobKey = KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 1]
  local payloadKey = KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 2]
  local a = FIXED_ARGS + (i - 1) * ARGS_PER_JOB
  redis.call('HSET', jobKey, 'doc', ARGV[a + 2], 'spec', ARGV[a + 3], 'rev', 1)
  if ARGV[a + 5] == '1' then redis.call('SET', payloadKey, ARGV[a + 4]) end
  names[#names + 1] = ARGV[a + 1]
  if #names == CHUNK then addNames() end
  counts[ARGV[a + 6]] = (counts[ARGV[a + 6]] or 0) + 1
end
if #names > 0 then addNames() end
for status, count in pairs(counts) do addToStatusCount(KEYS[5], status, count) end
return 1
`;

/**
 * Compare-and-set of one job record. The old status is the one in the document at expectedRev,
 * so the counts stay exact: a write computed from a stale read never lands.
 * KEYS: job, unfinished, statusCounts. ARGV: expectedRev, newDoc, name, final ('1'/'0'), oldStatus, newStatus.
 * Returns -1 when the record is gone, 0 on a revision mismatch, 1 when written.
 */
export const COMPARE_AND_SET = `${ADD_TO_STATUS_COUNT}
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'rev', tonumber(rev) + 1)
if ARGV[4] == '1' then redis.call('SREM', KEYS[2], ARGV[3]) else redis.call('SADD', KEYS[2], ARGV[3]) end
if ARGV[5] ~= ARGV[6] then
  addToStatusCount(KEYS[3], ARGV[5], -1)
  addToStatusCount(KEYS[3], ARGV[6], 1)
end
return 1
`;

/**
 * Deletes a batch with its jobs; each job's current status leaves the counts in the same step.
 * A batch's job names never change, so the caller reads them first and passes every key.
 * KEYS: batch, idx (singles or batches), unfinished, dispatchOutbox, cleanupOutbox, statusCounts, then per job: job, payload.
 * ARGV: indexMember, then per job: name.
 * Returns 0 when the batch is already gone (nothing changed), 1 when deleted.
 */
export const DELETE_BATCH = `${ADD_TO_STATUS_COUNT}
local FIXED_KEYS, KEYS_PER_JOB = 6, 2
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
for i = 2, #ARGV do
  local jobKey = KEYS[FIXED_KEYS + (i - 2) * KEYS_PER_JOB + 1]
  local payloadKey = KEYS[FIXED_KEYS + (i - 2) * KEYS_PER_JOB + 2]
  local doc = redis.call('HGET', jobKey, 'doc')
  if doc then addToStatusCount(KEYS[6], cjson.decode(doc).status, -1) end
  redis.call('DEL', jobKey, payloadKey)
  redis.call('SREM', KEYS[3], ARGV[i])
  redis.call('SREM', KEYS[4], ARGV[i])
  redis.call('SADD', KEYS[5], ARGV[i])
end
return 1
`;

/**
 * The documents of many job records in one call, in KEYS order, one per line ('' for a record that
 * is gone): one string for the API to read instead of a thousand (JSON.stringify never writes a raw
 * line feed, so a line is a whole document).
 * KEYS: job keys.
 */
export const GET_JOB_DOCS = `
local docs = {}
for i = 1, #KEYS do docs[i] = redis.call('HGET', KEYS[i], 'doc') or '' end
return table.concat(docs, '\\n')
`;

/**
 * Up to `count` entries of a list index (ZSET: creation ms, name) after the entry (score, member),
 * which may have been removed since: then the walk goes on where it would sort, found by binary
 * search among the entries of the same score. A position by sort key, not by rank, so entries added
 * or removed between calls never make a walk skip or repeat one that stays.
 * Names are compared byte by byte: Lua's `<` on strings follows the server's locale (strcoll), the
 * ZSET's order does not.
 * KEYS: index. ARGV: count, then optionally score and member. Returns `member\nscore\nmember\nscore...`
 * in one string rather than an array of them (see forEachLine in redis-status-store.ts); names
 * hold no line feeds.
 */
export const READ_INDEX = `
local function bytesAfter(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end
local count = tonumber(ARGV[1])
local start = 0
if ARGV[2] then
  local score, member = ARGV[2], ARGV[3]
  local rank = redis.call('ZRANK', KEYS[1], member)
  if rank and tonumber(redis.call('ZSCORE', KEYS[1], member)) == tonumber(score) then
    start = rank + 1
  else
    local lo = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score)
    local hi = lo + redis.call('ZCOUNT', KEYS[1], score, score)
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if bytesAfter(redis.call('ZRANGE', KEYS[1], mid, mid)[1], member) then hi = mid else lo = mid + 1 end
    end
    start = lo
  end
end
return table.concat(redis.call('ZRANGE', KEYS[1], start, start + count - 1, 'WITHSCORES'), '\\n')
`;

/**
 * What a batch's own state is derived from, for many job records in one call: a line per job in
 * KEYS order, `status,started,ended,updated` ('' where absent; an empty line for a record that is
 * gone). Decoded here, so that a batch of 100,000 jobs is summed up without sending and parsing
 * every whole record in the API first (they are read again, whole, while the batch is written).
 * KEYS: job keys.
 */
export const GET_JOB_STATES = `
local lines = {}
for i = 1, #KEYS do
  local doc = redis.call('HGET', KEYS[i], 'doc')
  if doc then
    local job = cjson.decode(doc)
    lines[i] = table.concat({ job.status, job.started or '', job.ended or '', job.updated or '' }, ',')
  else
    lines[i] = ''
  end
end
return table.concat(lines, '\\n')
`;
