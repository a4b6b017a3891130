import { describe, expect, it } from "vitest";
import { addressRefusal, urlRefusal } from "../../../src/core/webhooks/url-policy.js";

const strict = { allowPrivate: false };
const lenient = { allowPrivate: true };

describe("webhook URL rules", () => {
  it.each([
    "https://hooks.example.com/killswitch",
    "http://hooks.example.com:8080/x?y=1",
    "https://8.8.8.8/hook",
    "https://[2606:4700::1111]/hook",
  ])("accepts %s", (url) => {
    expect(urlRefusal(url, strict)).toBeNull();
  });

  it.each([
    ["ftp://hooks.example.com/x", /http or https/],
    ["file:///etc/passwd", /http or https/],
    ["javascript:alert(1)", /http or https/],
    ["https://user:pw@hooks.example.com/", /credentials/],
    ["https://user@hooks.example.com/", /credentials/],
    ["http://169.254.169.254/latest/meta-data/", /metadata/],
    ["http://[fd00:ec2::254]/", /metadata/],
    ["http://100.100.100.200/", /metadata/],
    ["http://169.254.10.1/", /link-local/],
    ["http://[fe80::1]/", /link-local/],
    ["http://[::ffff:169.254.169.254]/", /metadata/],
    ["http://metadata.google.internal/", /metadata/],
    ["http://0.0.0.0/", /unspecified/],
    ["http://[::]/", /unspecified/],
    ["http://224.0.0.1/", /multicast/],
    ["http://255.255.255.255/", /broadcast/],
    ["not a url", /absolute URL/],
  ])("refuses %s even where private addresses are allowed", (url, message) => {
    expect(urlRefusal(url, lenient)).toMatch(message);
    expect(urlRefusal(url, strict)).toMatch(message);
  });

  it.each([
    "http://127.0.0.1:8080/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd12::1]/",
    "http://localhost:3000/",
    "http://api.localhost/",
  ])("refuses %s unless private addresses are allowed", (url) => {
    expect(urlRefusal(url, strict)).toMatch(/KILLSWITCH_WEBHOOK_ALLOW_PRIVATE=1/);
    expect(urlRefusal(url, lenient)).toBeNull();
  });

  it("judges resolved addresses the same way (DNS rebinding is checked at delivery)", () => {
    expect(addressRefusal("93.184.216.34", strict)).toBeNull();
    expect(addressRefusal("127.0.0.1", strict)).toMatch(/loopback/);
    expect(addressRefusal("169.254.169.254", lenient)).toMatch(/metadata/);
  });
});
