package org.acme;

public class Tshirt implements java.io.Serializable {
    private String owner;
    private Size size;
    public Tshirt() {}
    public Tshirt(String owner, Size size) { this.owner = owner; this.size = size; }
    public String getOwner() { return owner; }
    public void setOwner(String owner) { this.owner = owner; }
    public Size getSize() { return size; }
    public void setSize(Size size) { this.size = size; }
}
