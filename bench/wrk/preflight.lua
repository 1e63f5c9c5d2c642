-- Preflight: PUT with content-type and authorization requested, from an allowed origin.
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "common.lua")
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "https://app.example.com"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "content-type, authorization"
wrk.headers["X-Tenant-Id"] = "acme"
