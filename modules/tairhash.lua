-- TairHash (tairhash-) over one native hash per key, each field stored as
--   field -> "\31" .. version .. ":" .. value
-- "\31" (0x1F) is the type marker, version is the field's signed 64-bit version in
-- decimal. Every stored value carries the marker, so there is no marker field:
-- when Valkey's own hash-field expiration (HSETEX/HPEXPIRE, set by these functions)
-- removes the last field, the key vanishes exactly as a TairHash does. Field TTLs
-- are native, so active expiry is Valkey's and HLEN counts what Tair's EXHLEN counts.
-- A hash whose values lack the marker (a user's plain hash, or a TairString, whose
-- exstr:version value starts with a digit) is another type: WRONGTYPE.
-- ARGV conventions: an argument error that Tair reports only after its type check
-- arrives as ARGV[1] ('' = none) and is raised right after that check.

local MARK = 31
local MARK_CHAR = '\31'
local I64_MAX_TEXT = '9223372036854775807'
local I64_MIN_TEXT = '-9223372036854775808'
local SAFE_MS = 4503599627370496 -- 2^52: now + this still fits an int64
local CHUNK = 1000 -- fields per native call (Lua's unpack has a limit)

local SYNTAX = 'ERR syntax error'
local STALE = 'ERR update version is stale'
local NOT_INTEGER = 'ERR value is not an integer'
local NOT_FLOAT = 'ERR value is not an float'
local OVERFLOW = 'ERR increment or decrement would overflow'
local FLOAT_MIN_MAX = 'ERR min or max is specified, but value is not a float'
local MIN_MAX = 'ERR min value is bigger than max value'

-- read() outcomes
local NOKEY, NOFIELD, FOUND, WRONG = 0, 1, 2, 3

-- A value with the marker is ours, unless the hash is a TairString whose
-- exstr:value happens to start with the marker byte.
local function owned(key, field, value)
    if string.byte(value, 1) ~= MARK then
        return false
    end
    if field == 'exstr:value' then
        local v = server.call('HGET', key, 'exstr:version')
        if v and string.find(v, '^%d') then
            return false
        end
    end
    return true
end

-- version, value of a stored field (nil when malformed)
local function decode(v)
    local c = string.find(v, ':', 2, true)
    if not c then
        return nil
    end
    return string.sub(v, 2, c - 1), string.sub(v, c + 1)
end

local function encode(version, value)
    return MARK_CHAR .. version .. ':' .. value
end

-- nil: no key (or only expired fields); false: another type; true: a TairHash.
local function probe(key)
    local r = server.pcall('HRANDFIELD', key, 1, 'WITHVALUES')
    if r['err'] then
        return false
    end
    if r[1] == nil then
        return nil
    end
    return owned(key, r[1], r[2])
end

-- status, version, value of one field.
local function read(key, field)
    local v = server.pcall('HGET', key, field)
    if v then
        if type(v) == 'table' or not owned(key, field, v) then
            return WRONG
        end
        local version, value = decode(v)
        if not version then
            return WRONG
        end
        return FOUND, version, value
    end
    local p = probe(key)
    if p == nil then
        return NOKEY
    elseif p == false then
        return WRONG
    end
    return NOFIELD
end

-- Versions are int64; past INT64_MAX they wrap as Tair's C arithmetic does.
local function incr_version(v)
    return i64_add(v, '1') or I64_MIN_TEXT
end

-- VER n (0 = no check) must equal the version; GT n must exceed it.
local function stale(vermode, verval, version)
    if vermode == 'VER' then
        return verval ~= '0' and verval ~= version
    elseif vermode == 'GT' then
        return i64_cmp(verval, version) <= 0
    end
    return false
end

local function next_version(vermode, verval, version)
    if vermode == 'ABS' or vermode == 'GT' then
        return verval
    end
    return incr_version(version)
end

-- Store one field. mode '' drops its TTL (HSET does), 'KEEPTTL' keeps it,
-- 'PX' ms from now, 'PXAT' absolute ms (a past time deletes the field at once).
local function store(key, field, enc, mode, ms)
    if mode == '' then
        server.call('HSET', key, field, enc)
    elseif mode == 'KEEPTTL' then
        server.call('HSETEX', key, 'KEEPTTL', 'FIELDS', 1, field, enc)
    else
        if mode == 'PX' and tonumber(ms) > SAFE_MS then
            -- Beyond any real clock: Tair's own arithmetic would overflow here.
            mode, ms = 'PXAT', I64_MAX_TEXT
        end
        server.call('HSETEX', key, mode, ms, 'FIELDS', 1, field, enc)
    end
end

local function now_ms()
    local t = server.call('TIME')
    return string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end

-- HMGET of many fields, checked for our marker: values (false = missing) or nil
-- when the key holds another type.
local function hmget(key, fields, first, last)
    local out = {}
    local i = first
    while i <= last do
        local j = math.min(i + CHUNK - 1, last)
        local r = server.pcall('HMGET', key, unpack(fields, i, j))
        if r['err'] then
            return nil
        end
        for k = 1, j - i + 1 do
            out[#out + 1] = r[k]
        end
        i = j + 1
    end
    local any = false
    for k = 1, #out do
        local v = out[k]
        if v then
            any = true
            if not owned(key, fields[first + k - 1], v) or not decode(v) then
                return nil
            end
        end
    end
    if not any and probe(key) == false then
        return nil
    end
    return out
end

TYPE_PROBES[#TYPE_PROBES + 1] = function(key, native)
    if native == 'hash' and probe(key) then
        return 'tairhash-'
    end
end

-- ---------------------------------------------------------------- writes

-- ARGV: deferred error, field, value, nxxx, vermode, verval, expmode, expms
server.register_function('tp_exhset', function(keys, a)
    local key, field = keys[1], a[2]
    local st, version = read(key, field)
    if st == WRONG then
        return err(WRONGTYPE)
    elseif a[1] ~= '' then
        return err(a[1])
    end
    if st == FOUND then
        if a[4] == 'NX' then
            return -1
        elseif stale(a[5], a[6], version) then
            return err(STALE)
        end
    else
        if a[4] == 'XX' then
            return -1
        end
        version = '0'
    end
    store(key, field, encode(next_version(a[5], a[6], version), a[3]), a[7], a[8])
    return st == FOUND and 0 or 1
end)

-- ARGV: field, value. Tair gives the new field version 0 here (its value is
-- calloc'ed and never bumped).
server.register_function('tp_exhsetnx', function(keys, a)
    local st = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st == FOUND then
        return 0
    end
    server.call('HSET', keys[1], a[1], encode('0', a[2]))
    return 1
end)

-- ARGV: field, value, field, value, ... Each version +1; TTLs are kept.
server.register_function('tp_exhmset', function(keys, a)
    local key = keys[1]
    local fields = {}
    for i = 1, #a, 2 do
        fields[#fields + 1] = a[i]
    end
    local cur = hmget(key, fields, 1, #fields)
    if not cur then
        return err(WRONGTYPE)
    end
    local versions = {}
    local cmd = {}
    for i = 1, #fields do
        local f = fields[i]
        local v = versions[f]
        if not v then
            v = cur[i] and decode(cur[i]) or '0'
        end
        v = incr_version(v)
        versions[f] = v
        cmd[#cmd + 1] = f
        cmd[#cmd + 1] = encode(v, a[2 * i])
        if #cmd >= 2 * CHUNK or i == #fields then
            server.call('HSETEX', key, 'KEEPTTL', 'FIELDS', #cmd / 2, unpack(cmd))
            cmd = {}
        end
    end
    return {ok = 'OK'}
end)

-- ARGV: field, value, version, seconds, ... All versions are checked before any
-- write; then each field's version +1 and its TTL set to now + seconds.
server.register_function('tp_exhmsetwithopts', function(keys, a)
    local key = keys[1]
    local fields = {}
    for i = 1, #a, 4 do
        fields[#fields + 1] = a[i]
    end
    local cur = hmget(key, fields, 1, #fields)
    if not cur then
        return err(WRONGTYPE)
    end
    for i = 1, #fields do
        local ver, secs = a[4 * i - 1], a[4 * i]
        if not is_i64(secs) or not is_i64(ver) or string.byte(ver, 1) == 45 or string.byte(secs, 1) == 45 then
            return err(SYNTAX)
        end
        if cur[i] and ver ~= '0' and ver ~= decode(cur[i]) then
            return err(STALE)
        end
    end
    local now = #fields > 0 and now_ms()
    local versions = {}
    for i = 1, #fields do
        local f = fields[i]
        local v = versions[f]
        if not v then
            v = cur[i] and decode(cur[i]) or '0'
        end
        v = incr_version(v)
        versions[f] = v
        local secs = a[4 * i]
        local at = now
        if secs ~= '0' then
            at = i64_add(secs .. '000', now) or I64_MAX_TEXT
        end
        server.call('HSETEX', key, 'PXAT', at, 'FIELDS', 1, f, encode(v, a[4 * i - 2]))
    end
    return {ok = 'OK'}
end)

-- EXHPEXPIREAT/EXHPEXPIRE/EXHEXPIREAT/EXHEXPIRE. ARGV: field, vermode, verval, mode, ms
server.register_function('tp_exhexpire', function(keys, a)
    local key, field = keys[1], a[1]
    local st, version, value = read(key, field)
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st ~= FOUND then
        return 0
    elseif stale(a[2], a[3], version) then
        return err(STALE)
    end
    store(key, field, encode(next_version(a[2], a[3], version), value), a[4], a[5])
    return 1
end)

-- ARGV: field
server.register_function('tp_exhpersist', function(keys, a)
    local st = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st ~= FOUND then
        return 0
    end
    local r = server.call('HPERSIST', keys[1], 'FIELDS', 1, a[1])
    return r[1] == 1 and 1 or 0
end)

-- ARGV: field, version (validated by the proxy)
server.register_function('tp_exhsetver', function(keys, a)
    local st, _, value = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st ~= FOUND then
        return 0
    end
    store(keys[1], a[1], encode(a[2], value), 'KEEPTTL')
    return 1
end)

-- ARGV: deferred error, field, increment, vermode, verval, expmode, expms, min, max
server.register_function('tp_exhincrby', function(keys, a)
    local key, field = keys[1], a[2]
    local st, version, value = read(key, field)
    if st == WRONG then
        return err(WRONGTYPE)
    elseif a[1] ~= '' then
        return err(a[1])
    end
    if st == FOUND then
        if not is_i64(value) then
            return err(NOT_INTEGER)
        elseif stale(a[4], a[5], version) then
            return err(STALE)
        end
    else
        version, value = '0', '0'
    end
    local sum = i64_add(value, a[3])
    if sum == nil or (a[9] ~= '' and i64_cmp(sum, a[9]) > 0) or (a[8] ~= '' and i64_cmp(sum, a[8]) < 0) then
        return err(OVERFLOW)
    end
    store(key, field, encode(next_version(a[4], a[5], version), sum), a[6], a[7])
    return int_reply(sum)
end)

-- ARGV: deferred syntax error, field, increment, vermode, verval, expmode, expms,
--       min, max, has_min, has_max
server.register_function('tp_exhincrbyfloat', function(keys, a)
    local key, field = keys[1], a[2]
    local st, version, value = read(key, field)
    if st == WRONG then
        return err(WRONGTYPE)
    end
    local incr = LD.parse(a[3])
    if incr == nil then
        return err(NOT_FLOAT)
    elseif a[1] ~= '' then
        return err(a[1])
    end
    local min, max
    if a[10] == '1' then
        min = LD.parse(a[8])
        if min == nil then
            return err(FLOAT_MIN_MAX)
        end
    end
    if a[11] == '1' then
        max = LD.parse(a[9])
        if max == nil then
            return err(FLOAT_MIN_MAX)
        end
    end
    if min and max and LD.cmp(max, min) < 0 then
        return err(MIN_MAX)
    end
    local cur
    if st == FOUND then
        cur = LD.parse(value)
        if cur == nil then
            return err(NOT_FLOAT)
        elseif stale(a[4], a[5], version) then
            return err(STALE)
        end
    else
        version, cur = '0', LD.parse('0')
    end
    local sum = LD.add(cur, incr)
    if not LD.is_finite(sum) or (max and LD.cmp(sum, max) > 0) or (min and LD.cmp(sum, min) < 0) then
        return err(OVERFLOW)
    end
    local text = LD.format(sum)
    store(key, field, encode(next_version(a[4], a[5], version), text), a[6], a[7])
    return text
end)

-- ARGV: fields...
server.register_function('tp_exhdel', function(keys, a)
    local key = keys[1]
    local p = probe(key)
    if p == nil then
        return 0
    elseif p == false then
        return err(WRONGTYPE)
    end
    local deleted = 0
    for i = 1, #a, CHUNK do
        deleted = deleted + server.call('HDEL', key, unpack(a, i, math.min(i + CHUNK - 1, #a)))
    end
    return deleted
end)

-- ARGV: field, version, field, version, ... (a bad version is a syntax error
-- raised when reached, after the earlier pairs took effect, as in Tair)
server.register_function('tp_exhdelwithver', function(keys, a)
    local key = keys[1]
    local p = probe(key)
    if p == nil then
        return 0
    elseif p == false then
        return err(WRONGTYPE)
    end
    local deleted = 0
    for i = 1, #a, 2 do
        local ver = a[i + 1]
        if not is_i64(ver) then
            return err(SYNTAX)
        end
        local st, version = read(key, a[i])
        if st == WRONG then
            return err(WRONGTYPE)
        end
        if st == FOUND and (ver == '0' or ver == version) then
            deleted = deleted + server.call('HDEL', key, a[i])
        end
    end
    return deleted
end)

-- ---------------------------------------------------------------- reads

local function ro(name, callback)
    server.register_function{function_name = name, flags = {'no-writes'}, callback = callback}
end

-- ARGV: field
ro('tp_exhget', function(keys, a)
    local st, _, value = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st == FOUND then
        return value
    end
    return false
end)

-- ARGV: field
ro('tp_exhgetwithver', function(keys, a)
    local st, version, value = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st == FOUND then
        return {value, int_reply(version)}
    end
    return false
end)

-- ARGV: withver, fields...
ro('tp_exhmget', function(keys, a)
    local cur = hmget(keys[1], a, 2, #a)
    if not cur then
        return err(WRONGTYPE)
    end
    local out = {}
    for i = 1, #cur do
        local v = cur[i]
        if v then
            local version, value = decode(v)
            if a[1] == '1' then
                out[i] = {value, int_reply(version)}
            else
                out[i] = value
            end
        else
            out[i] = false
        end
    end
    return out
end)

-- ARGV: field. Reply: ms = '1' for EXHPTTL, else seconds rounded as Tair does.
ro('tp_exhttl', function(keys, a)
    local st = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st == NOKEY then
        return -2
    elseif st == NOFIELD then
        return -3
    end
    local t = server.call('HPTTL', keys[1], 'FIELDS', 1, a[1])[1]
    if t == -1 then
        return -1
    elseif t < 0 then
        return -3
    elseif a[2] == '1' then
        return t
    end
    return math.floor((t + 500) / 1000)
end)

-- ARGV: field
ro('tp_exhver', function(keys, a)
    local st, version = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    elseif st == NOKEY then
        return -1
    elseif st == NOFIELD then
        return -2
    end
    return int_reply(version)
end)

-- ARGV: field
ro('tp_exhexists', function(keys, a)
    local st = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    end
    return st == FOUND and 1 or 0
end)

-- ARGV: field
ro('tp_exhstrlen', function(keys, a)
    local st, _, value = read(keys[1], a[1])
    if st == WRONG then
        return err(WRONGTYPE)
    end
    return st == FOUND and #value or 0
end)

-- ARGV: noexp. Without NOEXP Tair counts fields that expired but were not yet
-- removed; so does HLEN. NOEXP counts only live fields.
ro('tp_exhlen', function(keys, a)
    local p = probe(keys[1])
    if p == nil then
        return 0
    elseif p == false then
        return err(WRONGTYPE)
    end
    if a[1] == '1' then
        return #server.call('HKEYS', keys[1])
    end
    return server.call('HLEN', keys[1])
end)

ro('tp_exhkeys', function(keys)
    local p = probe(keys[1])
    if p == nil then
        return {}
    elseif p == false then
        return err(WRONGTYPE)
    end
    return server.call('HKEYS', keys[1])
end)

-- ARGV: 'vals' | 'all' | 'allver'
ro('tp_exhgetall', function(keys, a)
    local mode = a[1]
    local r = server.pcall(mode == 'vals' and 'HVALS' or 'HGETALL', keys[1])
    if r['err'] then
        return err(WRONGTYPE)
    end
    local out = {}
    local step = mode == 'vals' and 1 or 2
    for i = step, #r, step do
        local v = r[i]
        if string.byte(v, 1) ~= MARK then
            return err(WRONGTYPE)
        end
        local version, value = decode(v)
        if not version then
            return err(WRONGTYPE)
        end
        if step == 2 then
            out[#out + 1] = r[i - 1]
        end
        out[#out + 1] = value
        if mode == 'allver' then
            out[#out + 1] = int_reply(version)
        end
    end
    return out
end)

-- ARGV: deferred error, cursor, has_match, pattern, count
ro('tp_exhscan', function(keys, a)
    local key = keys[1]
    local p = probe(key)
    if p == false then
        return err(WRONGTYPE)
    elseif a[1] ~= '' then
        return err(a[1])
    elseif p == nil then
        return {{ok = '0'}, {}}
    end
    local r
    if a[3] == '1' then
        r = server.call('HSCAN', key, a[2], 'MATCH', a[4], 'COUNT', a[5])
    else
        r = server.call('HSCAN', key, a[2], 'COUNT', a[5])
    end
    local items = r[2]
    for i = 2, #items, 2 do
        local _, value = decode(items[i])
        items[i] = value or items[i]
    end
    return {r[1], items}
end)
