
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mqtk' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mqtk'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mqtk' {
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (-h is the broker host, as in mosquitto)')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print the version')
            [CompletionResult]::new('pub', 'pub', [CompletionResultType]::ParameterValue, 'Publish messages (a drop-in for mosquitto_pub)')
            [CompletionResult]::new('sub', 'sub', [CompletionResultType]::ParameterValue, 'Subscribe and print messages (a drop-in for mosquitto_sub)')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Measure a broker like ping(8): connection phases, PINGREQ round trips, capabilities')
            [CompletionResult]::new('gen', 'gen', [CompletionResultType]::ParameterValue, 'Write the shell completions and man pages (used to refresh completions/ and man/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mqtk;pub' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic to publish to')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic to publish to')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Message payload')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Message payload')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Send the contents of FILE (any bytes) as the message')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send the contents of FILE (any bytes) as the message')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quality of service: 0, 1 or 2')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'Quality of service: 0, 1 or 2')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Publish the message N times')
            [CompletionResult]::new('--repeat-delay', '--repeat-delay', [CompletionResultType]::ParameterName, 'Wait this long between repeats: seconds (0.5) or a duration (500ms)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most N messages per second (for -l, --jsonl and --repeat)')
            [CompletionResult]::new('-M', '-M ', [CompletionResultType]::ParameterName, 'QoS 1/2 messages in flight at once (mosquitto''s -M) [default: 1000; 20 for QoS 2 on MQTT 3.1.1]')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'QoS 1/2 messages in flight at once (mosquitto''s -M) [default: 1000; 20 for QoS 2 on MQTT 3.1.1]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended (as mosquitto)')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended (as mosquitto)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds, or inf / -1 for never')
            [CompletionResult]::new('--session-expiry', '--session-expiry', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds, or inf / -1 for never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host [env: MQTK_HOST] [default: localhost]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host [env: MQTK_HOST] [default: localhost]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]')
            [CompletionResult]::new('--ws-path', '--ws-path', [CompletionResultType]::ParameterName, 'WebSocket path [default: /mqtt]')
            [CompletionResult]::new('--ws-header', '--ws-header', [CompletionResultType]::ParameterName, 'Extra WebSocket upgrade header, ''Name: value'' (repeatable)')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect to a broker''s unix socket instead of TCP')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Tunnel through an HTTP CONNECT proxy: http://[user:pass@]host:port')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keepalive in seconds, 0 disables [default: 60]')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keepalive in seconds, 0 disables [default: 60]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Username [env: MQTK_USERNAME]')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Username [env: MQTK_USERNAME]')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'CA certificates (PEM) to trust; switches TLS on')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Folder of CA certificates (PEM) to trust; switches TLS on')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for mutual TLS; needs --key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'Only this TLS version: tlsv1.2 or tlsv1.3')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer (repeatable)')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Will topic, published by the broker if we vanish without DISCONNECT')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Will payload [default: empty]')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'Will QoS')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5')
            [CompletionResult]::new('--property', '--property', [CompletionResultType]::ParameterName, 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Connection settings profile from the config file')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Send all of stdin as one message')
            [CompletionResult]::new('--stdin-file', '--stdin-file', [CompletionResultType]::ParameterName, 'Send all of stdin as one message')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Send each line of stdin as a message (newline not included), over one connection')
            [CompletionResult]::new('--stdin-line', '--stdin-line', [CompletionResultType]::ParameterName, 'Send each line of stdin as a message (newline not included), over one connection')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Send a zero-length message')
            [CompletionResult]::new('--null-message', '--null-message', [CompletionResultType]::ParameterName, 'Send a zero-length message')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Read one JSON object per stdin line: {"topic","payload"|"payload_base64","qos","retain","properties"}')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Ask the broker to retain the message')
            [CompletionResult]::new('--retain', '--retain', [CompletionResultType]::ParameterName, 'Ask the broker to retain the message')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Keep the session when we disconnect (clean session off); needs -i')
            [CompletionResult]::new('--disable-clean-session', '--disable-clean-session', [CompletionResultType]::ParameterName, 'Keep the session when we disconnect (clean session off); needs -i')
            [CompletionResult]::new('--ws', '--ws', [CompletionResultType]::ParameterName, 'Connect over WebSockets to host:port')
            [CompletionResult]::new('--tls-use-os-certs', '--tls-use-os-certs', [CompletionResultType]::ParameterName, 'Trust the operating system''s CA store; switches TLS on')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the broker''s certificate (prints a warning)')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace every MQTT packet on stderr (passwords are never printed)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Trace every MQTT packet on stderr (passwords are never printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no warnings')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (-h is the broker host, as in mosquitto)')
            break
        }
        'mqtk;sub' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic filter to subscribe to (repeatable; + and # wildcards)')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic filter to subscribe to (repeatable; + and # wildcards)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quality of service for every filter: 0, 1 or 2')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'Quality of service for every filter: 0, 1 or 2')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Do not print messages whose topic matches FILTER (repeatable; wildcards allowed)')
            [CompletionResult]::new('--filter-out', '--filter-out', [CompletionResultType]::ParameterName, 'Do not print messages whose topic matches FILTER (repeatable; wildcards allowed)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Exit after N messages')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after N messages')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Exit with code 27 after this long: seconds (10) or a duration (1m30s)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Exit with code 27 after this long: seconds (10) or a duration (1m30s)')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'Unsubscribe from FILTER after subscribing (repeatable; cleans a durable session)')
            [CompletionResult]::new('--unsubscribe', '--unsubscribe', [CompletionResultType]::ParameterName, 'Unsubscribe from FILTER after subscribing (repeatable; cleans a durable session)')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Print each message with FORMAT (mosquitto''s -F; see below)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Print each message with FORMAT (mosquitto''s -F; see below)')
            [CompletionResult]::new('--payload-format', '--payload-format', [CompletionResultType]::ParameterName, 'How to show payloads: raw bytes (auto; in JSON text or base64), text, base64 or hex')
            [CompletionResult]::new('--random-filter', '--random-filter', [CompletionResultType]::ParameterName, 'Print only this percentage of messages, chosen at random (0.1 to 100)')
            [CompletionResult]::new('--retain-handling', '--retain-handling', [CompletionResultType]::ParameterName, 'MQTT 5: retained messages 0 = on every subscribe, 1 = for new subscriptions only, 2 = never')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended (as mosquitto)')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended (as mosquitto)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds, or inf / -1 for never')
            [CompletionResult]::new('--session-expiry', '--session-expiry', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds, or inf / -1 for never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host [env: MQTK_HOST] [default: localhost]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host [env: MQTK_HOST] [default: localhost]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]')
            [CompletionResult]::new('--ws-path', '--ws-path', [CompletionResultType]::ParameterName, 'WebSocket path [default: /mqtt]')
            [CompletionResult]::new('--ws-header', '--ws-header', [CompletionResultType]::ParameterName, 'Extra WebSocket upgrade header, ''Name: value'' (repeatable)')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect to a broker''s unix socket instead of TCP')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Tunnel through an HTTP CONNECT proxy: http://[user:pass@]host:port')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keepalive in seconds, 0 disables [default: 60]')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keepalive in seconds, 0 disables [default: 60]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Username [env: MQTK_USERNAME]')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Username [env: MQTK_USERNAME]')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'CA certificates (PEM) to trust; switches TLS on')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Folder of CA certificates (PEM) to trust; switches TLS on')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for mutual TLS; needs --key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'Only this TLS version: tlsv1.2 or tlsv1.3')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer (repeatable)')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Will topic, published by the broker if we vanish without DISCONNECT')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Will payload [default: empty]')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'Will QoS')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5')
            [CompletionResult]::new('--property', '--property', [CompletionResultType]::ParameterName, 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Connection settings profile from the config file')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Do not print retained messages (on MQTT 5 the broker is asked not to send them)')
            [CompletionResult]::new('--no-retained', '--no-retained', [CompletionResultType]::ParameterName, 'Do not print retained messages (on MQTT 5 the broker is asked not to send them)')
            [CompletionResult]::new('--retained-only', '--retained-only', [CompletionResultType]::ParameterName, 'Print only retained messages; exit at the first live one')
            [CompletionResult]::new('-E', '-E ', [CompletionResultType]::ParameterName, 'Exit once subscribed (with -c this creates a durable session)')
            [CompletionResult]::new('--exit-on-subscribe', '--exit-on-subscribe', [CompletionResultType]::ParameterName, 'Exit once subscribed (with -c this creates a durable session)')
            [CompletionResult]::new('--remove-retained', '--remove-retained', [CompletionResultType]::ParameterName, 'Clear every retained message received (publishes an empty retained message to its topic)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the topic before the payload: `topic payload`')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the topic before the payload: `topic payload`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line: topic, payload|payload_base64, qos, retain, dup, mid, received_at, properties')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Do not end messages with a newline')
            [CompletionResult]::new('--no-newline', '--no-newline', [CompletionResultType]::ParameterName, 'Do not end messages with a newline')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Indent JSON output (--json, %j, %J) over several lines')
            [CompletionResult]::new('--no-local', '--no-local', [CompletionResultType]::ParameterName, 'MQTT 5: do not receive our own publications')
            [CompletionResult]::new('--retain-as-published', '--retain-as-published', [CompletionResultType]::ParameterName, 'MQTT 5: keep the retain flag as published on live messages')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Keep the session when we disconnect (clean session off); needs -i')
            [CompletionResult]::new('--disable-clean-session', '--disable-clean-session', [CompletionResultType]::ParameterName, 'Keep the session when we disconnect (clean session off); needs -i')
            [CompletionResult]::new('--ws', '--ws', [CompletionResultType]::ParameterName, 'Connect over WebSockets to host:port')
            [CompletionResult]::new('--tls-use-os-certs', '--tls-use-os-certs', [CompletionResultType]::ParameterName, 'Trust the operating system''s CA store; switches TLS on')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the broker''s certificate (prints a warning)')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace every MQTT packet on stderr (passwords are never printed)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Trace every MQTT packet on stderr (passwords are never printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no warnings')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (-h is the broker host, as in mosquitto)')
            break
        }
        'mqtk;ping' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Number of probes; 0 = until Ctrl-C')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Number of probes; 0 = until Ctrl-C')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between probes: seconds (0.5) or a duration (250ms)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between probes: seconds (0.5) or a duration (250ms)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Send no probe after this long, whatever the count (probes in flight get --timeout)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Send no probe after this long, whatever the count (probes in flight get --timeout)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'A probe (and the connection) without an answer after this long is lost')
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'What a probe is: PINGREQ/PINGRESP, a PUBLISH to ourselves, or a whole new connection')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'QoS of the publish probe (1 and 2 also time the broker''s acknowledgement)')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'QoS of the publish probe (1 and 2 also time the broker''s acknowledgement)')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: mqtk- and random characters]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host [env: MQTK_HOST] [default: localhost]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host [env: MQTK_HOST] [default: localhost]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]')
            [CompletionResult]::new('--ws-path', '--ws-path', [CompletionResultType]::ParameterName, 'WebSocket path [default: /mqtt]')
            [CompletionResult]::new('--ws-header', '--ws-header', [CompletionResultType]::ParameterName, 'Extra WebSocket upgrade header, ''Name: value'' (repeatable)')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect to a broker''s unix socket instead of TCP')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Tunnel through an HTTP CONNECT proxy: http://[user:pass@]host:port')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keepalive in seconds, 0 disables [default: 60]')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keepalive in seconds, 0 disables [default: 60]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Username [env: MQTK_USERNAME]')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Username [env: MQTK_USERNAME]')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'CA certificates (PEM) to trust; switches TLS on')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Folder of CA certificates (PEM) to trust; switches TLS on')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for mutual TLS; needs --key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'Only this TLS version: tlsv1.2 or tlsv1.3')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer (repeatable)')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Will topic, published by the broker if we vanish without DISCONNECT')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Will payload [default: empty]')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'Will QoS')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5')
            [CompletionResult]::new('--property', '--property', [CompletionResultType]::ParameterName, 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Connection settings profile from the config file')
            [CompletionResult]::new('--info', '--info', [CompletionResultType]::ParameterName, 'Print the broker''s capabilities from its CONNACK (MQTT 5 announces them)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON lines: the connection, one object per probe, a summary')
            [CompletionResult]::new('--ws', '--ws', [CompletionResultType]::ParameterName, 'Connect over WebSockets to host:port')
            [CompletionResult]::new('--tls-use-os-certs', '--tls-use-os-certs', [CompletionResultType]::ParameterName, 'Trust the operating system''s CA store; switches TLS on')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the broker''s certificate (prints a warning)')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace every MQTT packet on stderr (passwords are never printed)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Trace every MQTT packet on stderr (passwords are never printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no warnings')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (-h is the broker host, as in mosquitto)')
            break
        }
        'mqtk;gen' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Folder that receives completions/ and man/')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (-h is the broker host, as in mosquitto)')
            break
        }
        'mqtk;help' {
            [CompletionResult]::new('pub', 'pub', [CompletionResultType]::ParameterValue, 'Publish messages (a drop-in for mosquitto_pub)')
            [CompletionResult]::new('sub', 'sub', [CompletionResultType]::ParameterValue, 'Subscribe and print messages (a drop-in for mosquitto_sub)')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Measure a broker like ping(8): connection phases, PINGREQ round trips, capabilities')
            [CompletionResult]::new('gen', 'gen', [CompletionResultType]::ParameterValue, 'Write the shell completions and man pages (used to refresh completions/ and man/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mqtk;help;pub' {
            break
        }
        'mqtk;help;sub' {
            break
        }
        'mqtk;help;ping' {
            break
        }
        'mqtk;help;gen' {
            break
        }
        'mqtk;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
