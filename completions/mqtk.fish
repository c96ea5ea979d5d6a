# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mqtk_global_optspecs
    string join \n help version
end

function __fish_mqtk_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mqtk_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mqtk_using_subcommand
    set -l cmd (__fish_mqtk_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mqtk -n "__fish_mqtk_needs_command" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_needs_command" -l version -d 'Print the version'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "pub" -d 'Publish messages (a drop-in for mosquitto_pub)'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "sub" -d 'Subscribe and print messages (a drop-in for mosquitto_sub)'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "rr" -d 'Send a request and print its response (MQTT 5; mosquitto_rr with matching)'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "ping" -d 'Measure a broker like ping(8): connection phases, PINGREQ round trips, capabilities'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "bench" -d 'Load-test a broker: many clients, open-loop rates, HDR latency, loss accounting'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "gen" -d 'Write the shell completions and man pages (used to refresh completions/ and man/)'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s t -l topic -d 'Topic to publish to' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s m -l message -d 'Message payload' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s f -l file -d 'Send the contents of FILE (any bytes) as the message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s q -l qos -d 'Quality of service: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l repeat -d 'Publish the message N times' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l repeat-delay -d 'Wait this long between repeats: seconds (0.5) or a duration (500ms)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l rate -d 'At most N messages per second (for -l, --jsonl and --repeat)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s M -l max-inflight -d 'QoS 1/2 messages in flight at once (mosquitto\'s -M) [default: 1000; 20 for QoS 2 on MQTT 3.1.1]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s i -l id -d 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s I -l id-prefix -d 'Client id prefix; the process id is appended (as mosquitto)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds, or inf / -1 for never' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s D -l property -d 'MQTT 5 property: -D publish|connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s s -l stdin-file -d 'Send all of stdin as one message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s n -l null-message -d 'Send a zero-length message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s l -l stdin-line -d 'Send each line of stdin as a message (newline not included), over one connection'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l jsonl -d 'Read one JSON object per stdin line: {"topic","payload"|"payload_base64","qos","retain","properties"}'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s r -l retain -d 'Ask the broker to retain the message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s c -l disable-clean-session -d 'Keep the session when we disconnect (clean session off); needs -i'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s t -l topic -d 'Topic filter to subscribe to (repeatable; + and # wildcards)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s q -l qos -d 'Quality of service for every filter: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s T -l filter-out -d 'Do not print messages whose topic matches FILTER (repeatable; wildcards allowed)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s C -l count -d 'Exit after N messages' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s W -l timeout -d 'Exit with code 27 after this long: seconds (10) or a duration (1m30s)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s U -l unsubscribe -d 'Unsubscribe from FILTER after subscribing (repeatable; cleans a durable session)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s F -l format -d 'Print each message with FORMAT (mosquitto\'s -F; see below)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l payload-format -d 'How to show payloads: raw bytes (auto; in JSON text or base64), text, base64 or hex' -r -f -a "auto\t''
text\t''
base64\t''
hex\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l random-filter -d 'Print only this percentage of messages, chosen at random (0.1 to 100)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retain-handling -d 'MQTT 5: retained messages 0 = on every subscribe, 1 = for new subscriptions only, 2 = never' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s i -l id -d 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s I -l id-prefix -d 'Client id prefix; the process id is appended (as mosquitto)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds, or inf / -1 for never' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s D -l property -d 'MQTT 5 property: -D subscribe|connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s R -l no-retained -d 'Do not print retained messages (on MQTT 5 the broker is asked not to send them)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retained-only -d 'Print only retained messages; exit at the first live one'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s E -l exit-on-subscribe -d 'Exit once subscribed (with -c this creates a durable session)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l remove-retained -d 'Clear every retained message received (publishes an empty retained message to its topic)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s v -l verbose -d 'Print the topic before the payload: `topic payload`'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l json -d 'Print one JSON object per line: topic, payload|payload_base64, qos, retain, dup, mid, received_at, properties'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s N -l no-newline -d 'Do not end messages with a newline'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l pretty -d 'Indent JSON output (--json, %j, %J) over several lines'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l raw -d 'Print control characters (ESC...) as received even on a terminal, which otherwise shows them escaped'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l no-local -d 'MQTT 5: do not receive our own publications'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retain-as-published -d 'MQTT 5: keep the retain flag as published on live messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s c -l disable-clean-session -d 'Keep the session when we disconnect (clean session off); needs -i'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s t -l topic -d 'Topic to publish the request to' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s e -l response-topic -d 'Response topic: subscribed to before the request is sent, and sent as its Response Topic' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s m -l message -d 'Message payload' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s f -l file -d 'Send the contents of FILE (any bytes) as the message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s q -l qos -d 'Quality of service of the request and of the response subscription: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s C -l count -d 'Exit 0 after N matching responses' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s W -l timeout -d 'Exit with code 27 after this long: seconds (10) or a duration (1m30s) [default: wait forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s F -l format -d 'Print each message with FORMAT (mosquitto\'s -F; see below)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l payload-format -d 'How to show payloads: raw bytes (auto; in JSON text or base64), text, base64 or hex' -r -f -a "auto\t''
text\t''
base64\t''
hex\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s i -l id -d 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s I -l id-prefix -d 'Client id prefix; the process id is appended (as mosquitto)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds, or inf / -1 for never' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s D -l property -d 'MQTT 5 property: -D publish|subscribe|connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s s -l stdin-file -d 'Send all of stdin as one message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s n -l null-message -d 'Send a zero-length message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s R -l no-retained -d 'Accepted for mosquitto_rr\'s scripts: rr never takes a retained message for a response'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s v -l verbose -d 'Print the topic before the payload: `topic payload`'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l json -d 'Print one JSON object per line: topic, payload|payload_base64, qos, retain, dup, mid, received_at, properties'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s N -l no-newline -d 'Do not end messages with a newline'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l pretty -d 'Indent JSON output (--json, %j, %J) over several lines'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l raw -d 'Print control characters (ESC...) as received even on a terminal, which otherwise shows them escaped'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s c -l disable-clean-session -d 'Keep the session when we disconnect (clean session off); needs -i'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s c -l count -d 'Number of probes; 0 = until Ctrl-C' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s i -l interval -d 'Time between probes: seconds (0.5) or a duration (250ms)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s w -l deadline -d 'Send no probe after this long, whatever the count (probes in flight get --timeout)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l timeout -d 'A probe (and the connection) without an answer after this long is lost' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l probe -d 'What a probe is: PINGREQ/PINGRESP, a PUBLISH to ourselves, or a whole new connection' -r -f -a "pingreq\t'PINGREQ → PINGRESP on one connection'
publish\t'PUBLISH to a topic this connection subscribes to (the broker\'s routing time)'
connect\t'A fresh connection per probe (the whole handshake)'"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s q -l qos -d 'QoS of the publish probe: 0, 1 or 2 (1 and 2 also time the broker\'s acknowledgement)' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l topic -d 'Topic of the publish probe, for brokers with ACLs [default: mqtk/ping/<pid>-<random>]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l wait -d 'Wait for the broker instead of probing it: retry connecting every 200 ms until a CONNACK comes (exit 0 at once) or DURATION has passed (exit with the last failure)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l id -d 'Client id [default: mqtk- and random characters]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s D -l property -d 'MQTT 5 property: -D connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l info -d 'Print the broker\'s capabilities from its CONNACK (MQTT 5 announces them)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l json -d 'Print JSON lines: the connection, one object per probe, a summary'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -f -a "conn" -d 'Open N connections (at --connect-rate), hold them with keepalive pings, time CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -f -a "pub" -d 'N publishers; with QoS 1/2 also time PUBLISH → PUBACK/PUBCOMP'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -f -a "sub" -d 'N subscribers counting (and timing, when payloads carry mqtk\'s header) what arrives'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -f -a "pubsub" -d 'Publishers and subscribers in one process: end-to-end latency, exact loss accounting'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -f -a "merge" -d 'Merge the JSON reports of a sharded run\'s shards into the report of one run'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -f -a "plot" -d 'Draw reports as SVG: the latency distribution, and rate and p99 over time'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge plot help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s c -l clients -d 'Number of connections' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l duration -d 'Measure for this long after the warmup [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l warmup -d 'Run this long before measuring (its messages are sent and counted, not timed)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l drain -d 'Then wait at most this long for acknowledgements and deliveries (a hard cap: what is still arriving then counts as outstanding, not lost)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l connect-rate -d 'New connections per second while ramping up [default: as fast as the broker accepts]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l id-prefix -d 'Client ids are this prefix and a number [default: mqtk-bench-PID-; shards: mqtk-bench-RUN-]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l start-number -d 'The first client\'s number (%i); give each concurrent mqtk its own range' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l json -d 'Write the whole report as JSON to FILE, created before any client connects (- = stdout, instead of the text report)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l threads -d 'Worker threads, each with its own event loop [default: the number of CPUs; 1 at QoS 1/2]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l hlog -d 'Also write the headline latency as an HdrHistogram interval log (one histogram a second) to FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l bind -d 'Spread the clients\' sockets over these local source addresses, round-robin (past the ~28 000 ports per address pair)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l shard -d 'Run shard I of N (from 0): this process runs its contiguous slice of the clients; merge the shards\' --json reports with mqtk bench merge' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l shards -d 'The number of shards when --shard is not given; this shard\'s index is JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job\'s pods)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l start-at -d 'Start sending at TIME (RFC 3339, or +DURATION from now) once connected: shards on machines with synced clocks start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l barrier -d 'Once connected, wait for every shard of run RUN through the broker (retained messages under mqtk/bench/RUN/), then start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s D -l property -d 'MQTT 5 property: -D connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s c -l clients -d 'Number of publishers' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s t -l topic -d 'Topic template: %i client number, %c client id, %n message number' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s s -l size -d 'Payload size in bytes, mqtk\'s 32-byte header included' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s q -l qos -d 'QoS of the publishes (and of the subscriptions in pubsub): 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l inflight -d 'QoS 1/2 messages each publisher keeps unacknowledged at most (capped by the broker\'s receive maximum)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l rate -d 'Messages per second across all publishers, spread evenly (open loop) [default: as fast as possible]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l interval -d 'Time between two messages of one publisher (open loop), e.g. 10ms' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l count -d 'Messages per publisher, then stop [default: run for --duration]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l duration -d 'Measure for this long after the warmup [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l warmup -d 'Run this long before measuring (its messages are sent and counted, not timed)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l drain -d 'Then wait at most this long for acknowledgements and deliveries (a hard cap: what is still arriving then counts as outstanding, not lost)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l connect-rate -d 'New connections per second while ramping up [default: as fast as the broker accepts]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l id-prefix -d 'Client ids are this prefix and a number [default: mqtk-bench-PID-; shards: mqtk-bench-RUN-]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l start-number -d 'The first client\'s number (%i); give each concurrent mqtk its own range' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l json -d 'Write the whole report as JSON to FILE, created before any client connects (- = stdout, instead of the text report)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l threads -d 'Worker threads, each with its own event loop [default: the number of CPUs; 1 at QoS 1/2]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l hlog -d 'Also write the headline latency as an HdrHistogram interval log (one histogram a second) to FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l bind -d 'Spread the clients\' sockets over these local source addresses, round-robin (past the ~28 000 ports per address pair)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l shard -d 'Run shard I of N (from 0): this process runs its contiguous slice of the clients; merge the shards\' --json reports with mqtk bench merge' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l shards -d 'The number of shards when --shard is not given; this shard\'s index is JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job\'s pods)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l start-at -d 'Start sending at TIME (RFC 3339, or +DURATION from now) once connected: shards on machines with synced clocks start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l barrier -d 'Once connected, wait for every shard of run RUN through the broker (retained messages under mqtk/bench/RUN/), then start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s D -l property -d 'MQTT 5 property: -D connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s r -l retain -d 'Publish with the retain flag'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s c -l clients -d 'Number of subscribers' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s t -l topic -d 'Topic template the publishers use; the default filter is derived from it' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s q -l qos -d 'Subscription QoS: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l filter -d 'Subscription filter (%i and %c allowed) [default: the topic template, each % field → +]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l shared -d 'Subscribe as members of this shared-subscription group ($share/GROUP/filter)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l duration -d 'Measure for this long after the warmup [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l warmup -d 'Run this long before measuring (its messages are sent and counted, not timed)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l drain -d 'Then wait at most this long for acknowledgements and deliveries (a hard cap: what is still arriving then counts as outstanding, not lost)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l connect-rate -d 'New connections per second while ramping up [default: as fast as the broker accepts]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l id-prefix -d 'Client ids are this prefix and a number [default: mqtk-bench-PID-; shards: mqtk-bench-RUN-]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l start-number -d 'The first client\'s number (%i); give each concurrent mqtk its own range' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l json -d 'Write the whole report as JSON to FILE, created before any client connects (- = stdout, instead of the text report)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l threads -d 'Worker threads, each with its own event loop [default: the number of CPUs; 1 at QoS 1/2]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l hlog -d 'Also write the headline latency as an HdrHistogram interval log (one histogram a second) to FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l bind -d 'Spread the clients\' sockets over these local source addresses, round-robin (past the ~28 000 ports per address pair)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l shard -d 'Run shard I of N (from 0): this process runs its contiguous slice of the clients; merge the shards\' --json reports with mqtk bench merge' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l shards -d 'The number of shards when --shard is not given; this shard\'s index is JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job\'s pods)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l start-at -d 'Start sending at TIME (RFC 3339, or +DURATION from now) once connected: shards on machines with synced clocks start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l barrier -d 'Once connected, wait for every shard of run RUN through the broker (retained messages under mqtk/bench/RUN/), then start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s D -l property -d 'MQTT 5 property: -D connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l publishers -d 'Number of publishers' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l subscribers -d 'Number of subscribers' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s t -l topic -d 'Topic template: %i client number, %c client id, %n message number' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s s -l size -d 'Payload size in bytes, mqtk\'s 32-byte header included' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s q -l qos -d 'QoS of the publishes (and of the subscriptions in pubsub): 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l inflight -d 'QoS 1/2 messages each publisher keeps unacknowledged at most (capped by the broker\'s receive maximum)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l rate -d 'Messages per second across all publishers, spread evenly (open loop) [default: as fast as possible]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l interval -d 'Time between two messages of one publisher (open loop), e.g. 10ms' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l count -d 'Messages per publisher, then stop [default: run for --duration]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l filter -d 'Subscription filter (%i and %c allowed) [default: the topic template, each % field → +]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l shared -d 'Subscribe as members of this shared-subscription group ($share/GROUP/filter)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l slo -d 'The service level each step must meet, with no message lost: p50, p90, p99, p99.9, p99.99 or max, <= and a duration, e.g. \'p99<=20ms\'' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l precision -d 'Stop the search when the pass and the failure are this close (percent of the pass)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l duration -d 'Measure for this long after the warmup [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l warmup -d 'Run this long before measuring (its messages are sent and counted, not timed)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l drain -d 'Then wait at most this long for acknowledgements and deliveries (a hard cap: what is still arriving then counts as outstanding, not lost)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l connect-rate -d 'New connections per second while ramping up [default: as fast as the broker accepts]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l id-prefix -d 'Client ids are this prefix and a number [default: mqtk-bench-PID-; shards: mqtk-bench-RUN-]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l start-number -d 'The first client\'s number (%i); give each concurrent mqtk its own range' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l json -d 'Write the whole report as JSON to FILE, created before any client connects (- = stdout, instead of the text report)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l threads -d 'Worker threads, each with its own event loop [default: the number of CPUs; 1 at QoS 1/2]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l hlog -d 'Also write the headline latency as an HdrHistogram interval log (one histogram a second) to FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l bind -d 'Spread the clients\' sockets over these local source addresses, round-robin (past the ~28 000 ports per address pair)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l shard -d 'Run shard I of N (from 0): this process runs its contiguous slice of the clients; merge the shards\' --json reports with mqtk bench merge' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l shards -d 'The number of shards when --shard is not given; this shard\'s index is JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job\'s pods)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l start-at -d 'Start sending at TIME (RFC 3339, or +DURATION from now) once connected: shards on machines with synced clocks start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l barrier -d 'Once connected, wait for every shard of run RUN through the broker (retained messages under mqtk/bench/RUN/), then start together' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s h -l host -d 'Broker host [env: MQTK_HOST] [default: localhost]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s p -l port -d 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l ws-path -d 'WebSocket path [default: /mqtt]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l ws-header -d 'Extra WebSocket upgrade header, \'Name: value\' (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l unix -d 'Connect to a broker\'s unix socket instead of TCP' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l proxy -d 'Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker\'s name; port 1080 by default) or socks5://... (mqtk resolves it)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s V -l protocol-version -d 'MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]' -r -f -a "31\t''
311\t''
5\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l max-packet-size -d 'Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l ack-timeout -d 'Call the connection lost when a QoS 1/2 message or a subscription waits this long for its acknowledgement (e.g. 30s) [default: 30s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l reconnect-limit -d 'pub, sub: give up when one outage lasts longer than this; 0 never reconnects [default: pub 5m, sub forever]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l reconnect-max-delay -d 'pub, sub: the longest wait between two reconnect attempts [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s k -l keepalive -d 'Keepalive in seconds, 0 disables [default: 60]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l connect-timeout -d 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s A -l bind-address -d 'Bind the client\'s socket to this local address (or a name for one) before connecting' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s u -l username -d 'Username [env: MQTK_USERNAME]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s P -l pw -d 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l password-file -d 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l cafile -d 'CA certificates (PEM) to trust; switches TLS on' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l capath -d 'Folder of CA certificates (PEM) to trust; switches TLS on' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l key -d 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-version -d 'Only this TLS version: tlsv1.2 or tlsv1.3' -r -f -a "tlsv1.2\t''
tlsv1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-alpn -d 'ALPN protocol to offer (repeatable)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l ciphers -d 'TLS 1.2 cipher suites to offer, OpenSSL names joined by \':\' (TLS 1.3 suites stay as they are)' -r -f -a "ECDHE-ECDSA-AES256-GCM-SHA384\t''
ECDHE-ECDSA-AES128-GCM-SHA256\t''
ECDHE-ECDSA-CHACHA20-POLY1305\t''
ECDHE-RSA-AES256-GCM-SHA384\t''
ECDHE-RSA-AES128-GCM-SHA256\t''
ECDHE-RSA-CHACHA20-POLY1305\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-keylog -d 'Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l psk -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l psk-identity -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-engine -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l keyform -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-engine-kpass-sha1 -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l will-topic -d 'Will topic, published by the broker if we vanish without DISCONNECT' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l will-payload -d 'Will payload [default: empty]' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l will-qos -d 'Will QoS: 0, 1 or 2 [default: 0]' -r -f -a "0\t''
1\t''
2\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s D -l property -d 'MQTT 5 property: -D connect|will NAME VALUE (repeatable; selects MQTT 5)' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l profile -d 'Connection settings profile from the config file' -r -f
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s o -l options-file -d 'Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto\'s -o)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s r -l retain -d 'Publish with the retain flag'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l find-max -d 'Find the highest rate that meets --slo: steps of --warmup + --duration each, doubling from --rate (default 1000/s), then halving the interval between the last pass and the first failure'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l ws -d 'Connect over WebSockets to host:port'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l nodelay -d 'Accepted for mosquitto\'s scripts: mqtk always sets TCP_NODELAY (no Nagle delay)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-use-os-certs -d 'Trust the operating system\'s CA store; switches TLS on'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l insecure -d 'Do not verify the broker\'s certificate (prints a warning)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s S
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l will-retain -d 'Retain the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s d -l debug -d 'Trace every MQTT packet on stderr (passwords are never printed)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l quiet -d 'Print no warnings'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l json -d 'Also write the merged report as JSON to FILE (- = stdout, instead of the text report)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l hlog -d 'Also write the merged headline latency\'s HdrHistogram interval log to FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from plot" -s o -l output -d 'The SVG file to write' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from plot" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "conn" -d 'Open N connections (at --connect-rate), hold them with keepalive pings, time CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "pub" -d 'N publishers; with QoS 1/2 also time PUBLISH → PUBACK/PUBCOMP'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "sub" -d 'N subscribers counting (and timing, when payloads carry mqtk\'s header) what arrives'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "pubsub" -d 'Publishers and subscribers in one process: end-to-end latency, exact loss accounting'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "merge" -d 'Merge the JSON reports of a sharded run\'s shards into the report of one run'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "plot" -d 'Draw reports as SVG: the latency distribution, and rate and p99 over time'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand gen" -l out-dir -d 'Folder that receives completions/ and man/' -r -f -a "(__fish_complete_directories)"
complete -c mqtk -n "__fish_mqtk_using_subcommand gen" -l help -d 'Print help (-h is the broker host, as in mosquitto)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr ping bench gen help" -f -a "pub" -d 'Publish messages (a drop-in for mosquitto_pub)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr ping bench gen help" -f -a "sub" -d 'Subscribe and print messages (a drop-in for mosquitto_sub)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr ping bench gen help" -f -a "rr" -d 'Send a request and print its response (MQTT 5; mosquitto_rr with matching)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr ping bench gen help" -f -a "ping" -d 'Measure a broker like ping(8): connection phases, PINGREQ round trips, capabilities'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr ping bench gen help" -f -a "bench" -d 'Load-test a broker: many clients, open-loop rates, HDR latency, loss accounting'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr ping bench gen help" -f -a "gen" -d 'Write the shell completions and man pages (used to refresh completions/ and man/)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr ping bench gen help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
