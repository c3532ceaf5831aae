-- Shared helpers of the tairproxy library. Each family's file follows this one.
-- Functions are registered with server.register_function; keys arrive in KEYS
-- (first argument), everything else in ARGV (second argument).

local WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'

local function err(msg)
    return server.error_reply(msg)
end

-- Each family adds a probe: probe(key, native_type) -> Tair type name or nil.
-- TYPE on a key asks them in order, so Tair keys answer as Tair's do.
local TYPE_PROBES = {}

local function type_of(key)
    local native = server.call('TYPE', key)['ok']
    if native == 'none' then
        return native
    end
    for i = 1, #TYPE_PROBES do
        local name = TYPE_PROBES[i](key, native)
        if name then
            return name
        end
    end
    return native
end

-- Lets the proxy put an argument error at its place in a MULTI/EXEC result.
server.register_function{function_name='tp_raise', flags={'no-writes'}, callback=function(keys, args)
    return err(args[1])
end}
