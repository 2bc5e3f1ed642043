// Plays a media file in headless Chromium as a person's browser would, to its end, then seeks.
//
//   node play_file.mjs FILE
//
// Prints one JSON line: {"duration", "frames", "sizes": ["WxH", ...], "ended", "seekedTo",
// "seekTarget", "error"}; frames are those presented while playing (requestVideoFrameCallback).
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import { dirname } from "node:path";

const file = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
  ],
});
const page = await browser.newPage();
// A file:// page of the file's folder: only such a page may load a file:// media URL.
await page.goto(pathToFileURL(dirname(file)).href);
const result = await page.evaluate(async (url) => {
  const video = document.createElement("video");
  video.muted = true;
  document.body.appendChild(video);
  const once = (name) => new Promise((resolve) => video.addEventListener(name, resolve, { once: true }));
  const failed = new Promise((resolve) => video.addEventListener("error", () => resolve("error"), { once: true }));
  const out = { frames: 0, sizes: [], ended: false, error: null };
  const count = () => {
    video.requestVideoFrameCallback((_, meta) => {
      out.frames += 1;
      const size = `${meta.width}x${meta.height}`;
      if (!out.sizes.includes(size)) out.sizes.push(size);
      count();
    });
  };
  count();
  video.src = url;
  if ((await Promise.race([once("loadedmetadata"), failed])) === "error") {
    return { ...out, error: video.error && video.error.message };
  }
  out.duration = video.duration;
  await video.play();
  if ((await Promise.race([once("ended"), failed])) === "error") {
    return { ...out, error: video.error && video.error.message };
  }
  out.ended = true;
  out.seekTarget = video.duration / 2;
  video.currentTime = out.seekTarget;
  await Promise.race([once("seeked"), failed]);
  out.seekedTo = video.currentTime;
  out.error = video.error && video.error.message;
  return out;
}, pathToFileURL(file).href);
console.log(JSON.stringify(result));
await browser.close();
