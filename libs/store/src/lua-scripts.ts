/**
 * Lua scripts run atomically inside Redis: a request is recorded whole or not at all, a status
 * write only lands on the revision it was computed from, and the status counts move in the same
 * step as the records they count.
 *
 * A full Redis (maxmemory with noeviction) cannot leave half a script behind either: it refuses a
 * command that needs memory only while the script has written nothing yet, and lets a script that
 * has begun writing finish (test/store/redis-full.spec.ts checks both). So CREATE_BATCH, whose first
 * write is an MSET, is refused whole (keep it so: a write that needs no memory first, such as a DEL,
 * would let it run in a full Redis), and REMOVE_BATCH, whose first write is a DEL, frees memory even
 * in a full Redis.
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
 * Puts Waiting jobs in the launch-order index (idx:waiting): score (1000 - priority) * 2^42 + an
 * arrival number, so higher priorities sort first and equal ones in arrival order, as BullMQ takes
 * them (libs/queue bullPriority). Up to 1000 - priority < 2^10 and arrival < 2^42 the score is an
 * exact integer in a double (< 2^53); it is formatted with %.0f because Redis would turn a Lua
 * number into text with 14 digits. `jobAt(i)` gives the name and priority of job i, or nil to skip.
 * ZADD NX: a job already in the index keeps its place.
 */
const ADD_WAITING = `
-- The arrival counter goes with the last Waiting job (COMPARE_AND_SET, REMOVE_BATCH): an empty store holds no keys.
local function addWaiting(waitingKey, seqKey, count, jobAt)
  local seq = redis.call('INCRBY', seqKey, count) - count
  local pairs_ = {}
  local function flush()
    if #pairs_ > 0 then redis.call('ZADD', waitingKey, 'NX', unpack(pairs_)) end
    pairs_ = {}
  end
  for i = 1, count do
    local name, priority = jobAt(i)
    if name then
      pairs_[#pairs_ + 1] = string.format('%.0f', (1000 - (priority or 0)) * 4398046511104 + seq + i)
      pairs_[#pairs_ + 1] = name
      if #pairs_ >= 1000 then flush() end
    end
  end
  flush()
end
`;

/**
 * KEYS: batch, idx (singles or batches), unfinished, dispatchOutbox, statusCounts, openBatches, finished, then per job: job, payload.
 * then (trailing) waiting, waitingSeq, idempotency.
 * ARGV: batchDoc, createdMs, indexMember, batchName, openJobs (how many jobs are not final), then per job:
 * name, doc, spec, payload ('' = none), hasPayload ('1'/'0'), status, priority (0..1000); then
 * idempotencyEntry ('' = no Idempotency-Key), idempotencyTtlSeconds.
 * With an entry, a key that names an earlier request is answered (its entry, a string) and nothing
 * is written; else the key gets the entry in the same step as the records.
 * Returns the earlier entry, 0 when the batch name is taken (nothing written), 1 when written, 2
 * when this same write had been written before (nothing written again): a client that resends the
 * commands a broken connection left unanswered (ioredis does) sends a write that may have landed
 * again. The batch document holds the batch's random name and every job name, so only the write
 * that put it there carries the same one. (With an Idempotency-Key, such a write gets the key's
 * entry, which names its own batch.)
 * Names are checked 1,000 per EXISTS, the batch document and payloads written 1,000 keys per MSET,
 * the index sets get the names 1,000 per SADD and the counts one HINCRBY per status: a batch of
 * 10,000 jobs makes 11 EXISTS, 10 MSETs, 20 SADDs and 1 HINCRBY instead of 10,001, 10,001, 20,000
 * and 10,000 (unpack stays well below Lua's limit of about 8,000 values); a single job makes one
 * EXISTS and one MSET instead of two of each (each call from Lua costs ~1.5 µs of Redis time:
 * benchmark 1).
 */
export const CREATE_BATCH = `${ADD_TO_STATUS_COUNT}${ADD_WAITING}
local FIXED_KEYS, KEYS_PER_JOB, FIXED_ARGS, ARGS_PER_JOB, CHUNK = 7, 2, 5, 7, 1000
local TRAILING_KEYS = 3
local jobCount = (#KEYS - FIXED_KEYS - TRAILING_KEYS) / KEYS_PER_JOB
local waitingKey, waitingSeqKey, idempotencyKey = KEYS[#KEYS - 2], KEYS[#KEYS - 1], KEYS[#KEYS]
local idemArg = FIXED_ARGS + jobCount * ARGS_PER_JOB
local idemEntry = ARGV[idemArg + 1]
if idemEntry ~= '' then
  local earlier = redis.call('GET', idempotencyKey)
  if earlier then return earlier end
end
-- The batch's name and its jobs' names, 1,000 to an EXISTS: one taken refuses the whole batch,
-- unless the batch is this very write's, sent again (see the answers above).
local function taken(names)
  if redis.call('EXISTS', unpack(names)) == 0 then return nil end
  if redis.call('GET', KEYS[1]) == ARGV[1] then return 2 end
  return 0
end
local maybeTaken = {KEYS[1]}
for i = 1, jobCount do
  maybeTaken[#maybeTaken + 1] = KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 1]
  if #maybeTaken == CHUNK then
    local answer = taken(maybeTaken)
    if answer then return answer end
    maybeTaken = {}
  end
end
if #maybeTaken > 0 then
  local answer = taken(maybeTaken)
  if answer then return answer end
end
-- The batch document and the payloads, 1,000 keys to an MSET (a single job's: one call); the first
-- write, and one that needs memory (see above).
local strings = {KEYS[1], ARGV[1]}
for i = 1, jobCount do
  local a = FIXED_ARGS + (i - 1) * ARGS_PER_JOB
  if ARGV[a + 5] == '1' then
    strings[#strings + 1] = KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 2]
    strings[#strings + 1] = ARGV[a + 4]
    if #strings >= 2 * CHUNK then
      redis.call('MSET', unpack(strings))
      strings = {}
    end
  end
end
if #strings > 0 then redis.call('MSET', unpack(strings)) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3]) end
local names, counts = {}, {}
local function addNames()
  redis.call('SADD', KEYS[3], unpack(names))
  redis.call('SADD', KEYS[4], unpack(names))
  names = {}
end
for i = 1, jobCount do
  local jobKey = KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 1]
  local a = FIXED_ARGS + (i - 1) * ARGS_PER_JOB
  redis.call('HSET', jobKey, 'doc', ARGV[a + 2], 'spec', ARGV[a + 3], 'rev', 1)
  names[#names + 1] = ARGV[a + 1]
  if #names == CHUNK then addNames() end
  counts[ARGV[a + 6]] = (counts[ARGV[a + 6]] or 0) + 1
end
if #names > 0 then addNames() end
for status, count in pairs(counts) do addToStatusCount(KEYS[5], status, count) end
if tonumber(ARGV[5]) > 0 then redis.call('HSET', KEYS[6], ARGV[4], ARGV[5]) else redis.call('ZADD', KEYS[7], ARGV[2], ARGV[4]) end
addWaiting(waitingKey, waitingSeqKey, jobCount, function(i)
  local a = FIXED_ARGS + (i - 1) * ARGS_PER_JOB
  if ARGV[a + 6] ~= 'Waiting' then return nil end
  return ARGV[a + 1], tonumber(ARGV[a + 7])
end)
if idemEntry ~= '' then redis.call('SET', idempotencyKey, idemEntry, 'EX', ARGV[idemArg + 2]) end
return 1
`;

/**
 * Compare-and-set of one job record. The old status is the one in the document at expectedRev,
 * so the counts stay exact: a write computed from a stale read never lands (nor does an
 * observation judged against the run, or generation, of a stale read).
 * The job that leaves its batch with no unfinished job puts the batch in the finished index, scored
 * by its `ended`. (A batch recorded before that index existed has no open count: its first job to
 * finish puts it there early, and REMOVE_BATCH takes it out again while a job has not finished.)
 * A job that leaves a final status (a restart) makes its batch unfinished again: counted open, out
 * of the finished index, so retention leaves it alone. A new run (a restart) enters the dispatch
 * outbox in the same step, as an accepted job does.
 * A job that becomes final gives back its launch slot (MAX_ACTIVE_JOBS); one that enters Waiting
 * (a restart) joins the launch-order index, one that leaves it leaves the index.
 * KEYS: job, unfinished, statusCounts, openBatches, finished, dispatchOutbox, slots, waiting, waitingSeq.
 * ARGV: expectedRev, newDoc, name, final ('1'/'0'), oldStatus, newStatus, wasFinal ('1'/'0'), batchName, endedMs,
 * newRun ('1'/'0'), priority.
 * Returns -1 when the record is gone, 0 on a revision mismatch, 1 when written.
 */
export const COMPARE_AND_SET = `${ADD_TO_STATUS_COUNT}${ADD_WAITING}
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'rev', tonumber(rev) + 1)
if ARGV[4] == '1' then redis.call('SREM', KEYS[2], ARGV[3]) else redis.call('SADD', KEYS[2], ARGV[3]) end
if ARGV[5] ~= ARGV[6] then
  addToStatusCount(KEYS[3], ARGV[5], -1)
  addToStatusCount(KEYS[3], ARGV[6], 1)
end
if ARGV[4] == '1' and ARGV[7] == '0' and redis.call('HINCRBY', KEYS[4], ARGV[8], -1) <= 0 then
  redis.call('HDEL', KEYS[4], ARGV[8])
  redis.call('ZADD', KEYS[5], ARGV[9], ARGV[8])
end
if ARGV[4] == '0' and ARGV[7] == '1' then
  redis.call('HINCRBY', KEYS[4], ARGV[8], 1)
  redis.call('ZREM', KEYS[5], ARGV[8])
end
if ARGV[10] == '1' then redis.call('SADD', KEYS[6], ARGV[3]) end
if ARGV[4] == '1' then redis.call('HDEL', KEYS[7], ARGV[3]) end
if ARGV[6] == 'Waiting' then
  if ARGV[5] ~= 'Waiting' or ARGV[10] == '1' then addWaiting(KEYS[8], KEYS[9], 1, function() return ARGV[3], tonumber(ARGV[11]) end) end
elseif ARGV[5] == 'Waiting' then
  redis.call('ZREM', KEYS[8], ARGV[3])
  if redis.call('EXISTS', KEYS[8]) == 0 then redis.call('DEL', KEYS[9]) end
end
return 1
`;

/**
 * Removes a batch with its jobs, indexes and counts, and puts the job names in the cleanup outbox
 * (the runtime's leftovers go next), on a condition checked in this same step:
 * - '' (DELETE): none; the batch goes whatever its jobs' state.
 * - a cutoff (retention), RFC3339 UTC: none of its jobs is unfinished and none ended after the
 *   cutoff, so removers that race (several processes, a DELETE) are harmless and an unfinished job
 *   is never touched. `ended` is RFC3339 UTC too (records.ts), whose text sorts as its time, so it is
 *   compared as text.
 * - 'undispatched' (withdrawing an accept whose answer was lost): every job still waits in the
 *   dispatch outbox, so none was handed to the queue. Nothing was launched, so nothing goes to the
 *   cleanup outbox; the Idempotency-Key goes too when it names this batch.
 * A batch's job names never change, so the caller reads them first and passes every key.
 * KEYS: batch, idx (singles or batches), unfinished, dispatchOutbox, cleanupOutbox, statusCounts, openBatches, finished,
 * then per job: job, payload; then (trailing) slots, waiting, waitingSeq (the removed jobs give back their launch
 * slots and leave the launch-order index), idempotency (an unused key when there is none).
 * ARGV: indexMember, batchName, condition, then per job: name.
 * Returns {1, generation of each job (0 when absent or gone)} when removed, {0} when the batch is
 * already gone, {-1} when a job is unfinished (the batch leaves the finished index until its last
 * job finishes), {-2, latestEnded} when a job ended after the cutoff, {-3} when a job was handed
 * to the queue (nothing changed in the last three).
 */
export const REMOVE_BATCH = `${ADD_TO_STATUS_COUNT}
local FIXED_KEYS, KEYS_PER_JOB, FIXED_ARGS = 8, 2, 3
local batchName, condition = ARGV[2], ARGV[3]
local withdrawing = condition == 'undispatched'
local cutoff = withdrawing and '' or condition
local slotsKey, waitingKey, waitingSeqKey, idempotencyKey = KEYS[#KEYS - 3], KEYS[#KEYS - 2], KEYS[#KEYS - 1], KEYS[#KEYS]
local jobCount = #ARGV - FIXED_ARGS
local function jobKey(i) return KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 1] end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[8], batchName)
  return {0}
end
if cutoff ~= '' then
  for i = 1, jobCount do
    if redis.call('SISMEMBER', KEYS[3], ARGV[FIXED_ARGS + i]) == 1 then
      redis.call('ZREM', KEYS[8], batchName)
      return {-1}
    end
  end
end
if withdrawing then
  for i = 1, jobCount do
    if redis.call('SISMEMBER', KEYS[4], ARGV[FIXED_ARGS + i]) == 0 then return {-3} end
  end
  local entry = redis.call('GET', idempotencyKey)
  if entry and cjson.decode(entry).batchName == batchName then redis.call('DEL', idempotencyKey) end
end
-- The answer when removed: 1, then each job's generation (a table, not unpack: batches may be large).
local statuses, removed, latest = {}, {1}, ''
for i = 1, jobCount do
  local doc = redis.call('HGET', jobKey(i), 'doc')
  removed[i + 1] = 0
  if doc then
    doc = cjson.decode(doc)
    statuses[i] = doc.status
    if type(doc.generation) == 'number' then removed[i + 1] = doc.generation end
    if type(doc.ended) == 'string' and doc.ended > latest then latest = doc.ended end
  end
end
if cutoff ~= '' and latest > cutoff then return {-2, latest} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[7], batchName)
redis.call('ZREM', KEYS[8], batchName)
for i = 1, jobCount do
  local name = ARGV[FIXED_ARGS + i]
  if statuses[i] then addToStatusCount(KEYS[6], statuses[i], -1) end
  redis.call('DEL', jobKey(i), KEYS[FIXED_KEYS + (i - 1) * KEYS_PER_JOB + 2])
  redis.call('SREM', KEYS[3], name)
  redis.call('SREM', KEYS[4], name)
  if not withdrawing then redis.call('SADD', KEYS[5], name) end
  redis.call('HDEL', slotsKey, name)
  redis.call('ZREM', waitingKey, name)
end
if redis.call('EXISTS', waitingKey) == 0 then redis.call('DEL', waitingSeqKey) end
return removed
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

/**
 * Takes a launch slot for run `generation` of a job (MAX_ACTIVE_JOBS), only while its record is
 * Waiting at that run and fewer than `cap` slots are taken; a job that holds one keeps it (work
 * delivered twice takes one slot). Checking the record in the same step means a slot is never
 * taken for a job that has ended, so only COMPARE_AND_SET and REMOVE_BATCH give slots back.
 * KEYS: slots, job. ARGV: name, cap, nowMs, generation.
 * Returns 1 (held), 0 (no slot free), -1 (the record is gone, or not Waiting at that run).
 */
export const TAKE_SLOT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
local doc = redis.call('HGET', KEYS[2], 'doc')
if not doc then return -1 end
local job = cjson.decode(doc)
if job.status ~= 'Waiting' or (tonumber(job.generation) or 0) ~= tonumber(ARGV[4]) then return -1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/**
 * Gives back the slots whose holder's record is final or gone (a worker that died, a write that
 * predates the slots), checked in the same step as the release so a holder that a restart made
 * Waiting again keeps its slot. KEYS: slots, then the holders' job keys. ARGV: '|'-wrapped final
 * statuses ('|Succeeded|Failed|Stopped|'), then the holders' names. Returns the released names.
 */
export const RECONCILE_SLOTS = `
local released = {}
for i = 2, #KEYS do
  local name = ARGV[i]
  local doc = redis.call('HGET', KEYS[i], 'doc')
  local status = doc and cjson.decode(doc).status
  if not status or string.find(ARGV[1], '|' .. status .. '|', 1, true) then
    if redis.call('HDEL', KEYS[1], name) == 1 then released[#released + 1] = name end
  end
end
return released
`;
