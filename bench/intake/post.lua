-- wrk script: every request posts one application to the JSON interface (contracts/intake-api.md).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"language":"ru","category":"former_serviceman","call_sign":"Тихий","full_name":"Андронников Максимилиан Сергеевич","birth_date":"1979-03-02","birth_place":"Сочи","contacts":[{"kind":"signal","value":"+7 900 000-00-00"}],"military":{"served":true,"branch":"ground forces","unit":"","rank":"sergeant"},"statement":"I served and know the army from inside; I want to use that against the dictatorship."}]]

local counts = {}
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d in %.1f s: %.1f/s\n", summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50 %.1f ms, p99 %.1f ms\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
