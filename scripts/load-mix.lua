-- wrk script for scripts/load-mix.sh: a mix of real request shapes over the bundled media
-- (ImageKit and Cloudinary URLs, formats, effects, a 400 and a 404), statuses counted per
-- thread and summed at the end with the latency percentiles.
local paths = {
  "/tr:w-300/photos/LadyBird.jpg",
  "/tr:w-200,h-200,c-maintain_ratio,f-webp/photos/Wine_by_Jakkub_Mede.jpg",
  "/image/upload/w_150,h_150,c_fill,g_north/photos/coffee.png",
  "/tr:w-400,bl-6/photos/astronaut.png",
  "/tr:w-100,r-max,b-4_FF0000/photos/flower.webp",
  "/tr:h-300,q-60/photos/video-001_cmyk.jpeg",
  "/tr:w-640,e-sharpen/photos/LadyBird.jpg",
  "/tr:w-abc/photos/coffee.png",
  "/tr:w-100/photos/none.jpg",
}
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  i = 0
  statuses = {}
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do
      total[k] = (total[k] or 0) + v
    end
  end
  local keys = {}
  for k in pairs(total) do table.insert(keys, k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do table.insert(parts, string.format("%d×%d", total[k], k)) end
  io.write(string.format("requests %d, errors (socket) connect %d read %d write %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write("statuses " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
