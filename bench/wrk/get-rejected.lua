-- Rejected-origin GET: one origin outside the policy (passed on to the app without CORS headers).
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "common.lua")
wrk.method = "GET"
wrk.headers["Origin"] = "https://evil.example.net"
wrk.headers["X-Tenant-Id"] = "acme"
