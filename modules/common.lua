-- Shared helpers of the tairproxy library. Each family's file follows this one.
-- Functions are registered with server.register_function; keys arrive in KEYS
-- (first argument), everything else in ARGV (second argument).

local WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
local OK = {ok = 'OK'}  -- one table for every OK reply (Valkey only reads it)

local function err(msg)
    return server.error_reply(msg)
end

-- server.pcall for a read that finds out a key's type: WRONGTYPE comes back as the error
-- table (the caller answers Tair's WRONGTYPE); any other error is raised as server.call
-- raises it. Commands inside a function obey the caller's ACL, so a user whose rules lack
-- the read gets that denial, never a WRONGTYPE for a key of the right type.
local function typed_pcall(...)
    local r = server.pcall(...)
    if type(r) == 'table' and r['err'] and string.sub(r['err'], 1, 10) ~= 'WRONGTYPE ' then
        error(r)
    end
    return r
end

-- The type of a key as TYPE and SCAN ... TYPE answer it: the Tair type name for a Tair key,
-- else Valkey's. Each family declares its marker once, with add_type_marker(name, native,
-- test): its type name, the native type its keys are stored as, and test(key) -> true for its
-- keys among those (they are asked in order).
local TYPE_MARKERS = {}  -- list of {name, native, test}

local function add_type_marker(name, native, test)
    TYPE_MARKERS[#TYPE_MARKERS + 1] = {name = name, native = native, test = test}
end

-- The marker of a Tair type name (any case, as SCAN ... TYPE takes module type names), or nil.
local function type_marker_named(name)
    name = string.lower(name)
    for i = 1, #TYPE_MARKERS do
        if string.lower(TYPE_MARKERS[i].name) == name then
            return TYPE_MARKERS[i]
        end
    end
    return nil
end

local function type_of(key)
    local native = server.call('TYPE', key)['ok']
    if native == 'none' then
        return native
    end
    for i = 1, #TYPE_MARKERS do
        local marker = TYPE_MARKERS[i]
        if marker.native == native and marker.test(key) then
            return marker.name
        end
    end
    return native
end

-- Every function of the library, by name, for tp_batch. The library assembler makes the
-- families register through this (Lua has no way to call a function by name at run time,
-- and at load time not even type() exists: hence the nil test).
local FUNCTIONS = {}
local register_with_valkey = server['register_function']  -- (spelled so the assembler leaves it)
local function register_function(spec, callback)
    if callback ~= nil then
        FUNCTIONS[spec] = callback
        return register_with_valkey(spec, callback)
    end
    FUNCTIONS[spec.function_name] = spec.callback
    return register_with_valkey(spec)
end

-- A sub-call that raised: the reply a single FCALL would have given. Valkey appends the
-- position it can see; for errors raised as tables pcall hides it, so only string errors
-- (whose text starts with it) keep it.
local function raised_error(e)
    local text = tostring(e)
    local line = string.match(text, '^user_function:(%d+): ')
    if line then
        return {err = 'ERR ' .. text .. ' script: on @user_function:' .. line .. '.'}
    end
    if not string.match(text, '^%u[%u_]* ') then
        text = 'ERR ' .. text
    end
    return {err = text}
end

-- t[from .. from + n - 1] as a new list. unpack builds it in C (a quarter of tp_batch's cost
-- per call when it was copied element by element); only short lists go through Lua's stack.
local function slice(t, from, n)
    if n <= 64 then
        return {unpack(t, from, from + n - 1)}
    end
    local out = {}
    for i = 1, n do
        out[i] = t[from + i - 1]
    end
    return out
end

-- Consecutive Tair calls as one FCALL. ARGV[1], a header: the number m of distinct function
-- names, then three bytes per call (its name's place among them, its key count, its
-- argument count; 255: the count is the call's next argument, as text). ARGV[2 .. m + 1]:
-- the names; then each call's arguments. KEYS: every call's keys in order. Counts in one
-- string cost no argument of their own: each argument is an object Valkey makes and a
-- string Lua interns. Each element of the reply is what that call alone would have
-- answered (nil as false: a nil would end the Lua array).
local function run_batch(keys, argv)
    local out = {}
    local header = argv[1]
    local ki, ai, c = 1, string.byte(header, 1) + 2, 0
    for hi = 2, #header, 3 do
        local name, nkeys, nargs = string.byte(header, hi, hi + 2)
        if nkeys == 255 then
            nkeys, ai = tonumber(argv[ai]), ai + 1
        end
        if nargs == 255 then
            nargs, ai = tonumber(argv[ai]), ai + 1
        end
        local k, a = slice(keys, ki, nkeys), slice(argv, ai, nargs)
        ki, ai = ki + nkeys, ai + nargs
        local ok, reply = pcall(FUNCTIONS[argv[name + 2]], k, a)
        if not ok then
            reply = raised_error(reply)
        elseif reply == nil then
            reply = false
        end
        c = c + 1
        out[c] = reply
    end
    return out
end
register_function{function_name='tp_batch', callback=run_batch}
register_function{function_name='tp_batch_ro', flags={'no-writes'}, callback=run_batch}

-- The modules open the key of every write command for writing, and Valkey counts closing
-- such a key as a change for WATCH even when nothing changed (RM_CloseKey signals it): a
-- write that fails or finds nothing to do still aborts another client's transaction on that
-- key. Write functions that leave a key untouched return through unchanged() to do the same.
-- The key ends exactly as it was (same value, same TTL); the no-op writes used for the signal
-- are not replicated (their net effect is nothing), though keyspace notifications see them.
local function touch_for_watch(key)
    server.set_repl(server.REPL_NONE)
    local at = server.call('PEXPIRETIME', key)
    if at == -2 then
        server.call('SET', key, '')
        server.call('DEL', key)
    elseif at == -1 then
        server.call('PEXPIRE', key, 1000000)
        server.call('PERSIST', key)
    else
        -- Lua numbers are doubles: an expiry past 2^63 - 1024 comes back as 2^63.
        server.call('PEXPIREAT', key, at >= 9223372036854775807 and '9223372036854775807' or string.format('%.0f', at))
    end
    server.set_repl(server.REPL_ALL)
end

-- reply, after counting the untouched key as written for WATCH.
local function unchanged(key, reply)
    touch_for_watch(key)
    return reply
end

-- An argument error a module reports after it opened KEYS[1] for writing (EXZUNIONSTORE's
-- numkeys...): the key still counts as written for WATCH.
server.register_function('tp_raise_written', function(keys, args)
    return unchanged(keys[1], err(args[1]))
end)

-- Lets the proxy put an argument error at its place in a MULTI/EXEC result.
register_function{function_name='tp_raise', flags={'no-writes'}, callback=function(keys, args)
    return err(args[1])
end}

-- ---------------------------------------------------------------------------
-- 64-bit integers. Lua numbers are doubles, exact only below 2^53, so values
-- travel as decimal strings and arithmetic falls back to digit strings when a
-- double would round.

local SAFE_INT = 9007199254740991  -- 2^53 - 1
local I64_MAX = '9223372036854775807'
local I64_MIN_MAG = '9223372036854775808'

-- Strict int64 text, as Valkey's string2ll: no '+', no spaces, no leading zeros, no '-0'.
local function is_i64(s)
    if type(s) ~= 'string' then
        return false
    end
    local neg, digits = string.match(s, '^(%-?)([1-9]%d*)$')
    if not digits then
        return s == '0'
    end
    if #digits < 19 then
        return true
    end
    if #digits > 19 then
        return false
    end
    return digits <= (neg == '-' and I64_MIN_MAG or I64_MAX)
end

-- Compare magnitudes of two digit strings without leading zeros.
local function mag_cmp(a, b)
    if #a ~= #b then
        return #a < #b and -1 or 1
    end
    if a == b then
        return 0
    end
    return a < b and -1 or 1
end

local function mag_add(a, b)
    local out, carry = {}, 0
    local i, j = #a, #b
    while i > 0 or j > 0 or carry > 0 do
        local d = carry + (i > 0 and string.byte(a, i) - 48 or 0) + (j > 0 and string.byte(b, j) - 48 or 0)
        out[#out + 1] = d % 10
        carry = math.floor(d / 10)
        i, j = i - 1, j - 1
    end
    return string.reverse(table.concat(out))
end

-- a - b for magnitudes with a >= b.
local function mag_sub(a, b)
    local out, borrow = {}, 0
    local i, j = #a, #b
    while i > 0 do
        local d = string.byte(a, i) - 48 - borrow - (j > 0 and string.byte(b, j) - 48 or 0)
        if d < 0 then
            d, borrow = d + 10, 1
        else
            borrow = 0
        end
        out[#out + 1] = d
        i, j = i - 1, j - 1
    end
    local s = string.gsub(string.reverse(table.concat(out)), '^0+', '')
    return s == '' and '0' or s
end

local function split_sign(s)
    if string.sub(s, 1, 1) == '-' then
        return true, string.sub(s, 2)
    end
    return false, s
end

-- Exact sum of two int64 strings; nil when it leaves the int64 range.
local function i64_add(a, b)
    local x, y = tonumber(a), tonumber(b)
    if math.abs(x) <= SAFE_INT and math.abs(y) <= SAFE_INT then
        local s = x + y
        if math.abs(s) <= SAFE_INT then
            return string.format('%.0f', s)
        end
    end
    local na, ma = split_sign(a)
    local nb, mb = split_sign(b)
    local neg, mag
    if na == nb then
        neg, mag = na, mag_add(ma, mb)
    elseif mag_cmp(ma, mb) >= 0 then
        neg, mag = na, mag_sub(ma, mb)
    else
        neg, mag = nb, mag_sub(mb, ma)
    end
    if mag == '0' then
        return '0'
    end
    local r = (neg and '-' or '') .. mag
    if not is_i64(r) then
        return nil
    end
    return r
end

-- a + b as C's int64 arithmetic leaves it (wrapping past either end).
local TWO64 = '18446744073709551616'

local function i64_add_wrap(a, b)
    local r = i64_add(a, b)
    if r then
        return r
    end
    local na, ma = split_sign(a)
    local _, mb = split_sign(b)
    local sum = mag_add(ma, mb)  -- overflow needs both signs alike
    if na then
        return mag_sub(TWO64, sum)
    end
    return '-' .. mag_sub(TWO64, sum)
end

local function i64_cmp(a, b)
    local na, ma = split_sign(a)
    local nb, mb = split_sign(b)
    if ma == '0' then na = false end
    if mb == '0' then nb = false end
    if na ~= nb then
        return na and -1 or 1
    end
    local c = mag_cmp(ma, mb)
    return na and -c or c
end

-- Versions are unsigned 64-bit counters kept as decimal text.
local function u64_incr(s)
    local n = tonumber(s)
    if n < SAFE_INT then
        return string.format('%.0f', n + 1)
    end
    if s == '18446744073709551615' then
        return '0'
    end
    return mag_add(s, '1')
end

-- An integer reply from decimal text. Above 2^53 a Lua number would round, so a
-- status marker carries the digits and the proxy turns it into an exact integer
-- (wrapping unsigned values into int64 as a C cast would; connection.py). The
-- marker must not contain a NUL: Valkey copies a Lua status with sdsnew().
local BIG_INT_MARKER = '\1i64:'
local function int_reply(s)
    local n = tonumber(s)
    if math.abs(n) <= SAFE_INT then
        return n
    end
    return {ok = BIG_INT_MARKER .. s}
end

local function now_ms_text()
    local t = server.call('TIME')
    return string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end

-- TairString's expiry (RedisModule_SetExpire after its own arithmetic). Options arrive from
-- the proxy in milliseconds as int64 text, already wrapped as the C wraps them:
-- mode '' (none: drop the TTL), 'KEEPTTL', 'PX' (relative) or 'PXAT' (absolute).
--   PX < 0: SetExpire refuses it and the key keeps the TTL it had.
--   PX past int64 once added to the clock: the module stores a wrapped (negative) expiry that
--     Valkey treats as none, while PTTL shows the value given; the closest Valkey can hold is
--     the largest expiry there is, PEXPIREAT 2^63-1.
--   PXAT in the past: the key expires now; PXAT so negative that `at - now` wraps: far future.
-- True when the key's TTL was written (which counts as a change for WATCH).
local I64_MIN_TEXT = '-9223372036854775808'

local function apply_expire(key, mode, ms)
    if mode == '' then
        return server.call('PERSIST', key) == 1
    elseif mode == 'KEEPTTL' then
        return false
    elseif mode == 'PX' then
        if string.sub(ms, 1, 1) == '-' then
            return false
        elseif #ms >= 16 and i64_cmp(ms, i64_add(I64_MAX, '-' .. now_ms_text())) > 0 then
            server.call('PEXPIREAT', key, I64_MAX)
        else
            server.call('PEXPIRE', key, ms)
        end
    elseif string.sub(ms, 1, 1) ~= '-' then
        server.call('PEXPIREAT', key, ms)
    elseif i64_cmp(ms, i64_add(I64_MIN_TEXT, now_ms_text())) < 0 then
        server.call('PEXPIREAT', key, I64_MAX)
    else
        server.call('DEL', key)
    end
    return true
end
