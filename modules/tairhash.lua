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
local CHUNK = 1000 -- fields per native call (Lua's unpack has a limit)
local KEEP = 'keep' -- a field's TTL stays as it is

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

-- version, value, exact expiry of a stored field (version nil when malformed). A field whose
-- expiry lies past 2^53 ms carries it in its encoding, "\31" version "+" expiry ":" value:
-- Valkey keeps the native expiry exact, but a Lua number could not read it back exactly.
local function decode(v)
    local c = string.find(v, ':', 2, true)
    if not c then
        return nil
    end
    local head = string.sub(v, 2, c - 1)
    local plus = string.find(head, '+', 2, true)
    if plus then
        return string.sub(head, 1, plus - 1), string.sub(v, c + 1), string.sub(head, plus + 1)
    end
    return head, string.sub(v, c + 1)
end

local function encode(version, value, exp)
    if exp then
        return MARK_CHAR .. version .. '+' .. exp .. ':' .. value
    end
    return MARK_CHAR .. version .. ':' .. value
end

-- nil: no key (or only expired fields); false: another type; true: a TairHash.
local function probe(key)
    local r = typed_pcall('HRANDFIELD', key, 1, 'WITHVALUES')
    if r['err'] then
        return false
    end
    if r[1] == nil then
        return nil
    end
    return owned(key, r[1], r[2])
end

-- status, version, value, exact big expiry of one field.
local function read(key, field)
    local v = typed_pcall('HGET', key, field)
    if v then
        if type(v) == 'table' or not owned(key, field, v) then
            return WRONG
        end
        local version, value, exp = decode(v)
        if not version then
            return WRONG
        end
        return FOUND, version, value, exp
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
    return i64_add_wrap(v, '1')
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

-- The absolute expiry (int64 text) of a TTL option: PXAT as given, PX added to the clock as
-- the module's C adds it (a sum past int64 wraps negative).
local function expiry_of(mode, ms)
    if mode == 'PXAT' then
        return ms
    end
    return i64_add_wrap(now_ms_text(), ms)
end

-- What EXHSET/EXHINCRBY[FLOAT] do to a field's TTL: no option drops it, KEEPTTL keeps it; an
-- expiry of exactly 0 (possible only by wrapping) drops it too, a negative one (wrapped) keeps
-- it. Returns nil (drop), KEEP, or the absolute expiry.
local function option_ttl(mode, ms)
    if mode == '' then
        return nil
    elseif mode == 'KEEPTTL' then
        return KEEP
    end
    local at = expiry_of(mode, ms)
    if at == '0' then
        return nil
    elseif string.sub(at, 1, 1) == '-' then
        return KEEP
    end
    return at
end

-- Store one field with TTL ttl: nil drops it (HSET does), KEEP keeps it (and its exact big
-- expiry exp), else the absolute expiry in ms (one in the past deletes the field at once).
local function store(key, field, version, value, ttl, exp)
    if ttl == nil then
        server.call('HSET', key, field, encode(version, value))
    elseif ttl == KEEP then
        server.call('HSETEX', key, 'KEEPTTL', 'FIELDS', 1, field, encode(version, value, exp))
    else
        local big = #ttl >= 16 and tonumber(ttl) > SAFE_INT
        server.call('HSETEX', key, 'PXAT', ttl, 'FIELDS', 1, field, encode(version, value, big and ttl or nil))
    end
end

-- HMGET of many fields, checked for our marker: values (false = missing) or nil
-- when the key holds another type.
local function hmget(key, fields, first, last)
    local out = {}
    local i = first
    while i <= last do
        local j = math.min(i + CHUNK - 1, last)
        local r = typed_pcall('HMGET', key, unpack(fields, i, j))
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

add_type_marker('tairhash-', 'hash', function(key)
    return probe(key) == true
end)

-- ---------------------------------------------------------------- writes
-- The module opens the key for writing first in every one of these: a path that writes
-- nothing still counts for WATCH (unchanged(), common.lua).

-- ARGV: deferred error, field, value, nxxx, vermode, verval, expmode, expms. EXHSET without
-- options sends the first three (each argument costs Valkey an object and Lua a string):
-- the others then read as ''.
server.register_function('tp_exhset', function(keys, a)
    local key, field = keys[1], a[2]
    local nxxx, vermode, verval = a[4] or '', a[5] or '', a[6] or ''
    local expmode, expms = a[7] or '', a[8] or ''
    local st, version, _, exp = read(key, field)
    if st == WRONG then
        return unchanged(key, err(WRONGTYPE))
    elseif a[1] ~= '' then
        return unchanged(key, err(a[1]))
    end
    if st == FOUND then
        if nxxx == 'NX' then
            return unchanged(key, -1)
        elseif stale(vermode, verval, version) then
            return unchanged(key, err(STALE))
        end
    else
        if nxxx == 'XX' then
            return unchanged(key, -1)
        end
        version = '0'
    end
    store(key, field, next_version(vermode, verval, version), a[3], option_ttl(expmode, expms), exp)
    return st == FOUND and 0 or 1
end)

-- ARGV: field, value. Tair gives the new field version 0 here (its value is
-- calloc'ed and never bumped).
server.register_function('tp_exhsetnx', function(keys, a)
    local st = read(keys[1], a[1])
    if st == WRONG then
        return unchanged(keys[1], err(WRONGTYPE))
    elseif st == FOUND then
        return unchanged(keys[1], 0)
    end
    server.call('HSET', keys[1], a[1], encode('0', a[2]))
    return 1
end)

-- The next version of fields[i] (by position) and each field's exact big expiry (by name), from
-- the current encodings cur (a field named twice is bumped twice).
local function next_versions(fields, cur)
    local latest, versions, exps = {}, {}, {}
    for i = 1, #fields do
        local f = fields[i]
        local v = latest[f]
        if not v then
            if cur[i] then
                local version, _, exp = decode(cur[i])
                v, exps[f] = version, exp
            else
                v = '0'
            end
        end
        latest[f] = incr_version(v)
        versions[i] = latest[f]
    end
    return versions, exps
end

-- ARGV: field, value, field, value, ... Each version +1; TTLs are kept.
server.register_function('tp_exhmset', function(keys, a)
    local key = keys[1]
    local fields = {}
    for i = 1, #a, 2 do
        fields[#fields + 1] = a[i]
    end
    local cur = hmget(key, fields, 1, #fields)
    if not cur then
        return unchanged(key, err(WRONGTYPE))
    end
    local versions, exps = next_versions(fields, cur)
    local cmd = {}
    for i = 1, #fields do
        local f = fields[i]
        cmd[#cmd + 1] = f
        cmd[#cmd + 1] = encode(versions[i], a[2 * i], exps[f])
        if #cmd >= 2 * CHUNK or i == #fields then
            server.call('HSETEX', key, 'KEEPTTL', 'FIELDS', #cmd / 2, unpack(cmd))
            cmd = {}
        end
    end
    return OK
end)

-- ARGV: field, value, version, ms, ... (ms: the seconds times 1000 as C wraps them, '' when
-- they are no count: a syntax error once reached). All versions are checked before any
-- write; then each field's version +1 and its TTL set to now + seconds (C arithmetic:
-- a result of 0 means no TTL, a negative one has expired).
server.register_function('tp_exhmsetwithopts', function(keys, a)
    local key = keys[1]
    local fields = {}
    for i = 1, #a, 4 do
        fields[#fields + 1] = a[i]
    end
    local cur = hmget(key, fields, 1, #fields)
    if not cur then
        return unchanged(key, err(WRONGTYPE))
    end
    for i = 1, #fields do
        local ver = a[4 * i - 1]
        if a[4 * i] == '' or not is_i64(ver) or string.byte(ver, 1) == 45 then
            return unchanged(key, err(SYNTAX))
        end
        if cur[i] and ver ~= '0' and ver ~= decode(cur[i]) then
            return unchanged(key, err(STALE))
        end
    end
    local versions = next_versions(fields, cur)
    local now = #fields > 0 and now_ms_text()
    for i = 1, #fields do
        local at = i64_add_wrap(now, a[4 * i])
        local ttl = at
        if at == '0' then
            ttl = nil
        elseif string.sub(at, 1, 1) == '-' then
            ttl = '1'
        end
        store(key, fields[i], versions[i], a[4 * i - 2], ttl)
    end
    if #fields == 0 then
        return unchanged(key, OK)
    end
    return OK
end)

-- EXHPEXPIREAT/EXHPEXPIRE/EXHEXPIREAT/EXHEXPIRE. ARGV: field, vermode, verval, mode, ms.
-- A time that wraps to an expiry <= 0 leaves the TTL as it was (the version still moves).
server.register_function('tp_exhexpire', function(keys, a)
    local key, field = keys[1], a[1]
    local st, version, value, exp = read(key, field)
    if st == WRONG then
        return unchanged(key, err(WRONGTYPE))
    elseif st ~= FOUND then
        return unchanged(key, 0)
    elseif stale(a[2], a[3], version) then
        return unchanged(key, err(STALE))
    end
    local at = expiry_of(a[4], a[5])
    local ttl = KEEP
    if string.sub(at, 1, 1) ~= '-' and at ~= '0' then
        ttl = at
    end
    store(key, field, next_version(a[2], a[3], version), value, ttl, exp)
    return 1
end)

-- ARGV: field
server.register_function('tp_exhpersist', function(keys, a)
    local key = keys[1]
    local st, version, value, exp = read(key, a[1])
    if st == WRONG then
        return unchanged(key, err(WRONGTYPE))
    elseif st ~= FOUND then
        return unchanged(key, 0)
    elseif exp then
        server.call('HSET', key, a[1], encode(version, value))  -- drops the TTL and its big expiry
        return 1
    elseif server.call('HPERSIST', key, 'FIELDS', 1, a[1])[1] == 1 then
        return 1
    end
    return unchanged(key, 0)
end)

-- ARGV: field, version (validated by the proxy)
server.register_function('tp_exhsetver', function(keys, a)
    local st, _, value, exp = read(keys[1], a[1])
    if st == WRONG then
        return unchanged(keys[1], err(WRONGTYPE))
    elseif st ~= FOUND then
        return unchanged(keys[1], 0)
    end
    store(keys[1], a[1], a[2], value, KEEP, exp)
    return 1
end)

-- ARGV: deferred error, field, increment, vermode, verval, expmode, expms, min, max
server.register_function('tp_exhincrby', function(keys, a)
    local key, field = keys[1], a[2]
    local st, version, value, exp = read(key, field)
    if st == WRONG then
        return unchanged(key, err(WRONGTYPE))
    elseif a[1] ~= '' then
        return unchanged(key, err(a[1]))
    end
    if st == FOUND then
        if not is_i64(value) then
            return unchanged(key, err(NOT_INTEGER))
        elseif stale(a[4], a[5], version) then
            return unchanged(key, err(STALE))
        end
    else
        version, value = '0', '0'
    end
    local sum = i64_add(value, a[3])
    if sum == nil or (a[9] ~= '' and i64_cmp(sum, a[9]) > 0) or (a[8] ~= '' and i64_cmp(sum, a[8]) < 0) then
        return unchanged(key, err(OVERFLOW))
    end
    store(key, field, next_version(a[4], a[5], version), sum, option_ttl(a[6], a[7]), exp)
    return int_reply(sum)
end)

-- ARGV: deferred syntax error, field, increment, vermode, verval, expmode, expms,
--       min, max, has_min, has_max
server.register_function('tp_exhincrbyfloat', function(keys, a)
    local key, field = keys[1], a[2]
    local st, version, value, exp = read(key, field)
    if st == WRONG then
        return unchanged(key, err(WRONGTYPE))
    end
    local incr = LD.parse(a[3])
    if incr == nil then
        return unchanged(key, err(NOT_FLOAT))
    elseif a[1] ~= '' then
        return unchanged(key, err(a[1]))
    end
    local min, max
    if a[10] == '1' then
        min = LD.parse(a[8])
        if min == nil then
            return unchanged(key, err(FLOAT_MIN_MAX))
        end
    end
    if a[11] == '1' then
        max = LD.parse(a[9])
        if max == nil then
            return unchanged(key, err(FLOAT_MIN_MAX))
        end
    end
    if min and max and LD.cmp(max, min) < 0 then
        return unchanged(key, err(MIN_MAX))
    end
    local cur
    if st == FOUND then
        cur = LD.parse(value)
        if cur == nil then
            return unchanged(key, err(NOT_FLOAT))
        elseif stale(a[4], a[5], version) then
            return unchanged(key, err(STALE))
        end
    else
        version, cur = '0', LD.parse('0')
    end
    local sum = LD.add(cur, incr)
    if not LD.is_finite(sum) or (max and LD.cmp(sum, max) > 0) or (min and LD.cmp(sum, min) < 0) then
        return unchanged(key, err(OVERFLOW))
    end
    local text = LD.format(sum)
    store(key, field, next_version(a[4], a[5], version), text, option_ttl(a[6], a[7]), exp)
    return text
end)

-- ARGV: fields...
server.register_function('tp_exhdel', function(keys, a)
    local key = keys[1]
    local p = probe(key)
    if p == nil then
        return unchanged(key, 0)
    elseif p == false then
        return unchanged(key, err(WRONGTYPE))
    end
    local deleted = 0
    for i = 1, #a, CHUNK do
        deleted = deleted + server.call('HDEL', key, unpack(a, i, math.min(i + CHUNK - 1, #a)))
    end
    if deleted == 0 then
        return unchanged(key, 0)
    end
    return deleted
end)

-- ARGV: field, version, field, version, ... (a bad version is a syntax error
-- raised when reached, after the earlier pairs took effect, as in Tair)
server.register_function('tp_exhdelwithver', function(keys, a)
    local key = keys[1]
    local p = probe(key)
    if p == nil then
        return unchanged(key, 0)
    elseif p == false then
        return unchanged(key, err(WRONGTYPE))
    end
    local deleted = 0
    for i = 1, #a, 2 do
        local ver = a[i + 1]
        if not is_i64(ver) then
            return unchanged(key, err(SYNTAX))
        end
        local st, version = read(key, a[i])
        if st == WRONG then
            return unchanged(key, err(WRONGTYPE))
        end
        if st == FOUND and (ver == '0' or ver == version) then
            deleted = deleted + server.call('HDEL', key, a[i])
        end
    end
    if deleted == 0 then
        return unchanged(key, 0)
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

-- ARGV: field, ms ('1' for EXHPTTL, else seconds rounded as Tair does: (ttl + 500) / 1000).
ro('tp_exhttl', function(keys, a)
    local st, _, _, exp = read(keys[1], a[1])
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
    elseif exp then
        -- Past 2^53 ms a Lua number is not exact: count from the expiry kept in the encoding.
        local ttl = i64_add(exp, '-' .. now_ms_text())
        if string.sub(ttl, 1, 1) == '-' then
            return 0
        elseif a[2] == '1' then
            return int_reply(ttl)
        end
        local secs = string.sub(i64_add(ttl, '500'), 1, -4)
        return int_reply(secs == '' and '0' or secs)
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
    local r = typed_pcall(mode == 'vals' and 'HVALS' or 'HGETALL', keys[1])
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

-- EXHSCAN. ARGV: deferred error, cursor (uint64 text), cursor modulo 2^32, has_match, pattern,
-- count (int64 text). Up to DICT_SCAN_MAX fields the module's own table walk (dictscan.lua);
-- its COUNT counts list nodes, a field and its value being two. Past that, Valkey's HSCAN with
-- a COUNT that gathers as many fields (its cursors are Valkey's).
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
    local count = tonumber(a[6])
    local use_pattern, pattern = a[4] == '1', a[5]
    local items, cursor
    if server.call('HLEN', key) <= DICT_SCAN_MAX then
        local all = server.call('HGETALL', key)
        local names = {}
        for i = 1, #all, 2 do
            names[#names + 1] = all[i]
        end
        local picked
        cursor, picked = dict_scan(names, tonumber(a[3]), 2, count > 0 and count or math.huge, count * 10)
        items = {}
        for i = 1, #picked do
            local j = 2 * picked[i]
            if not use_pattern or glob_match(pattern, all[j - 1]) then
                items[#items + 1] = all[j - 1]
                items[#items + 1] = all[j]
            end
        end
        cursor = string.format('%d', cursor)
    else
        local native = count > 1 and math.ceil(count / 2) or (count == 1 and 1 or 1000000000)
        local r
        if use_pattern then
            r = server.call('HSCAN', key, a[2], 'MATCH', pattern, 'COUNT', native)
        else
            r = server.call('HSCAN', key, a[2], 'COUNT', native)
        end
        cursor, items = r[1], r[2]
    end
    for i = 2, #items, 2 do
        local _, value = decode(items[i])
        items[i] = value or items[i]
    end
    return {cursor, items}
end)
