-- wrk script: log in with the bench account (bench/login.sh creates it).
wrk.method = "POST"
wrk.body = '{"email":"bench@example.fr","password":"a long bench passphrase","remember_me":false}'
wrk.headers["Content-Type"] = "application/json"
