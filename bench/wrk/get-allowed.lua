-- Allowed-origin GET: an exactly listed origin (static allowlist, or the tenant's list for the resolver).
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "common.lua")
wrk.method = "GET"
wrk.headers["Origin"] = "https://app.example.com"
wrk.headers["X-Tenant-Id"] = "acme"
