-- wrk script: POST the README's ranking ("One example: a ranking") to /graphql; on the seed
-- database, 2 entries of 38 districts (bench/ab-wrk.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ ranking(indicator: \\"public_kindergarten_enrolment_share\\", year: 2022, latestOnOrBefore: true) { coverage entries { rank value year district { code nameZh nameEn } } stats { count mean median min max } } }"}'
