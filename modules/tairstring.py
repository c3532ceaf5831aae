LUA_FILE = "tairstring.lua"
COMMANDS = []
