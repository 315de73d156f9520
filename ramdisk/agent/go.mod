module anvil.dev/ramdisk/agent

go 1.26
