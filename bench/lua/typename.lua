-- wrk script: POST `{ __typename }` to /graphql, the floor of every query (bench/ab-wrk.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ __typename }"}'
