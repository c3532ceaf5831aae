-- TYPE through the proxy: Tair keys answer Tair's type names (probes added by each family).
server.register_function{function_name='tp_type', flags={'no-writes'}, callback=function(keys)
    return {ok=type_of(keys[1])}
end}
