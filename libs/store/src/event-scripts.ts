import { COMPARE_AND_SET, CREATE_BATCH, REMOVE_BATCH } from './lua-scripts';

/**
 * The status-writing scripts of lua-scripts.ts, each run with the record of the change it makes in
 * the same atomic step: an entry of the events stream (SSE) and, when a webhook is configured, the
 * transitions owed to it (a per-batch list, and the batch in the set of batches the notifier looks
 * at). So an accepted change never misses its event, and an event never describes a change that
 * did not land.
 *
 * The scripts are wrapped, not edited: the caller appends EVENT_KEYS keys and EVENT_ARGS arguments,
 * which the wrapper takes off KEYS and ARGV before the script runs, so its own layout (counted from
 * #KEYS and #ARGV) is untouched.
 *
 * Appended KEYS: events stream, notify pending list of the batch, notify batches.
 * Appended ARGV: stream max length (~), notify ('1'/'0'), now (ms), emit ('1'/'0'), batch name,
 * batch stub (JSON of name, batchId, batchType, created; '' when the reader takes it from the store).
 *
 * A stream entry: e (Create | Update | Delete), b (batch name), t (ms), h (batch stub), j (JSON array
 * of the job records as written). A pending item: `event \n jobName \n ms \n jobRecord \n stub`
 * (JSON never holds a raw line feed).
 */
export const EVENT_KEYS = 3;
export const EVENT_ARGS = 6;

function withEvents(script: string, before: string, after: string): string {
  return `
local EV = {}
for i = ${EVENT_ARGS}, 1, -1 do EV[i] = table.remove(ARGV) end
local EVK = {}
for i = ${EVENT_KEYS}, 1, -1 do EVK[i] = table.remove(KEYS) end
local EV_MAXLEN, EV_NOTIFY, EV_NOW, EV_EMIT, EV_BATCH, EV_STUB = EV[1], EV[2], EV[3], EV[4], EV[5], EV[6]
local function emit(event, names, docs)
  redis.call('XADD', EVK[1], 'MAXLEN', '~', EV_MAXLEN, '*', 'e', event, 'b', EV_BATCH, 't', EV_NOW, 'h', EV_STUB, 'j', '[' .. table.concat(docs, ',') .. ']')
  if EV_NOTIFY ~= '1' then return end
  local items = {}
  for i = 1, #docs do
    items[#items + 1] = event .. '\\n' .. names[i] .. '\\n' .. EV_NOW .. '\\n' .. docs[i] .. '\\n' .. EV_STUB
    if #items == 1000 then
      redis.call('RPUSH', EVK[2], unpack(items))
      items = {}
    end
  end
  if #items > 0 then redis.call('RPUSH', EVK[2], unpack(items)) end
  redis.call('ZADD', EVK[3], 'NX', EV_NOW, EV_BATCH)
end
${before}
local result = (function()
${script}
end)()
${after}
return result
`;
}

/** CREATE_BATCH, then a Create event carrying every job of the batch. */
export const CREATE_BATCH_WITH_EVENTS = withEvents(
  CREATE_BATCH,
  '',
  `
if result == 1 then
  -- CREATE_BATCH's ARGV: 5 fixed, 7 per job (name, doc first), 2 trailing (the Idempotency-Key's).
  local names, docs = {}, {}
  for i = 1, (#ARGV - 5 - 2) / 7 do
    names[i] = ARGV[5 + (i - 1) * 7 + 1]
    docs[i] = ARGV[5 + (i - 1) * 7 + 2]
  end
  emit('Create', names, docs)
end
`,
);

/** COMPARE_AND_SET, then an Update event when the write lands and changes what the API shows (emit). */
export const COMPARE_AND_SET_WITH_EVENTS = withEvents(
  COMPARE_AND_SET,
  '',
  `
if result == 1 and EV_EMIT == '1' then emit('Update', {ARGV[3]}, {ARGV[2]}) end
`,
);

/** REMOVE_BATCH, then a Delete event with the job records as they were (read before the removal). */
export const REMOVE_BATCH_WITH_EVENTS = withEvents(
  REMOVE_BATCH,
  `
local evNames, evDocs = {}, {}
if EV_EMIT == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  for i = 1, #ARGV - 3 do
    local doc = redis.call('HGET', KEYS[8 + (i - 1) * 2 + 1], 'doc')
    if doc then
      evNames[#evNames + 1] = ARGV[3 + i]
      evDocs[#evDocs + 1] = doc
    end
  end
end
`,
  `
if result[1] == 1 and #evDocs > 0 then emit('Delete', evNames, evDocs) end
`,
);

/**
 * Opens the next webhook delivery of a batch, or answers the one already open (a worker that died
 * holding it, a retry). A delivery is the longest run of pending transitions of one event type (at
 * most maxJobs), in the order they were recorded: coalescing never reorders nor drops one (a job
 * that changed twice is in it twice, in order). It waits until the oldest pending transition is
 * coalesceMs old, so the changes of that window go together. One delivery per batch is open at a
 * time: deliveries of a batch go in order. The batch's score becomes the time to look again: the
 * lease for an open delivery (its BullMQ work is queued again then, a no-op when it exists).
 * KEYS: pending, inflight, batches, seq. ARGV: batch, nowMs, coalesceMs, leaseMs, maxJobs.
 * Returns {} (nothing due) or {id, items joined by \\30, opened ms}.
 */
export const OPEN_DELIVERY = `
local batch, now, coalesce, lease, maxJobs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local open = redis.call('HMGET', KEYS[2], 'id', 'items', 'opened')
if open[1] then
  redis.call('ZADD', KEYS[3], now + lease, batch)
  return open
end
local first = redis.call('LINDEX', KEYS[1], 0)
if not first then
  redis.call('ZREM', KEYS[3], batch)
  return {}
end
local firstMs = tonumber(string.match(first, '^[^\\n]*\\n[^\\n]*\\n([^\\n]*)'))
if firstMs + coalesce > now then
  redis.call('ZADD', KEYS[3], firstMs + coalesce, batch)
  return {}
end
local items = redis.call('LRANGE', KEYS[1], 0, maxJobs - 1)
local taken, event = {}, nil
for i = 1, #items do
  local e = string.match(items[i], '^([^\\n]*)\\n')
  if event and e ~= event then break end
  event = e
  taken[i] = items[i]
end
redis.call('LTRIM', KEYS[1], #taken, -1)
local id = tostring(redis.call('INCR', KEYS[4]))
local joined = table.concat(taken, '\\30')
redis.call('HSET', KEYS[2], 'id', id, 'items', joined, 'opened', ARGV[2])
redis.call('ZADD', KEYS[3], now + lease, batch)
return {id, joined, ARGV[2]}
`;

/**
 * Ends the open delivery `id` of a batch (sent, refused for good, or dead-lettered); a delivery
 * already ended (a retry of work another worker finished) changes nothing. The batch is looked at
 * again at once when transitions wait, else it leaves the set.
 * KEYS: pending, inflight, batches. ARGV: batch, id, nowMs. Returns 1 when ended, 0 when not open.
 */
export const CLOSE_DELIVERY = `
if redis.call('HGET', KEYS[2], 'id') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('LLEN', KEYS[1]) > 0 then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1]) else redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1
`;
