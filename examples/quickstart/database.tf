resource "aws_db_subnet_group" "db" {
  name       = "shop-db"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_instance" "db" {
  identifier                  = "shop-db"
  engine                      = "postgres"
  instance_class              = "db.t4g.medium"
  allocated_storage           = 50
  multi_az                    = false
  availability_zone           = local.azs[0]
  backup_retention_period     = 1
  db_subnet_group_name        = aws_db_subnet_group.db.name
  vpc_security_group_ids      = [aws_security_group.db.id]
  username                    = "shop"
  manage_master_user_password = true
  deletion_protection         = true
  final_snapshot_identifier   = "shop-db-final"
}
