"""Email: SES v1 templates kept as files (templates/<name>/{subject.txt,body.txt,body.html})
and the sender that delivers queued messages."""
