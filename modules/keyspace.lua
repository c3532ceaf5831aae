-- TYPE and SCAN ... TYPE through the proxy: both ask type_of() (common.lua), so a Tair key
-- answers its Tair type name in each, and a native type name never matches a Tair key.
server.register_function{function_name='tp_type', flags={'no-writes'}, callback=function(keys)
    return {ok=type_of(keys[1])}
end}

-- SCAN cursor [options] TYPE name. ARGV: type name, cursor, the other options as given.
-- Valkey's own SCAN walks with the same cursor, MATCH and COUNT (so cursors and page sizes are
-- Valkey's), filtering by native type when the name is not a Tair one (which also lets it
-- refuse an unknown name); the keys it returns are then kept when type_of() agrees.
server.register_function{function_name='tp_scan_type', flags={'no-writes', 'allow-cross-slot-keys'},
callback=function(_, a)
    local wanted = string.lower(a[1])
    local marker = type_marker_named(a[1])
    local args = {'SCAN'}
    for i = 2, #a do
        args[i] = a[i]
    end
    if not marker then
        args[#args + 1], args[#args + 2] = 'TYPE', a[1]
    end
    local r = server.pcall(unpack(args))
    if r['err'] then
        return r
    end
    local name = marker and marker.name or wanted
    local keys = {}
    for i = 1, #r[2] do
        local key = r[2][i]
        if type_of(key) == name then
            keys[#keys + 1] = key
        end
    end
    return {r[1], keys}
end}
